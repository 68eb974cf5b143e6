import type { PoolClient } from "../db/pool.ts";
import type { RunStatus, StepStatus } from "../domain/statuses.ts";
import type { ExpressionContext, StepDef, WorkflowDef } from "../workflows/index.ts";

/** One step of a run as stored in run_steps. */
export interface StepRow {
  step_id: string;
  phase: "main" | "teardown";
  position: number;
  status: StepStatus;
  attempt: number;
  outputs: Record<string, string>;
  exit_code: number | null;
  error: string | null;
  runner_id: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

/** A run loaded for the workflow to act on, under a row lock. */
export interface LockedRun {
  id: string;
  workspaceId: string;
  status: RunStatus;
  definition: WorkflowDef;
  inputs: Record<string, string | number | boolean>;
  cancelRequested: boolean;
  steps: Map<string, StepRow>;
}

/** Load and lock a run with its steps (null when it does not exist). */
export async function lockRun(client: PoolClient, runId: string): Promise<LockedRun | null> {
  const res = await client.query<{
    workspace_id: string;
    status: RunStatus;
    definition: WorkflowDef;
    inputs: Record<string, string | number | boolean>;
    cancel_requested_at: Date | null;
  }>(
    `select o.workspace_id, o.status, r.definition, r.inputs, r.cancel_requested_at
     from runs r join operations o on o.id = r.id where r.id = $1 for update of o`,
    [runId],
  );
  const row = res.rows[0];
  if (!row) return null;
  const steps = await client.query<StepRow>("select * from run_steps where run_id = $1 order by position", [runId]);
  return {
    id: runId,
    workspaceId: row.workspace_id,
    status: row.status,
    definition: row.definition,
    inputs: row.inputs,
    cancelRequested: row.cancel_requested_at !== null,
    steps: new Map(steps.rows.map((s) => [s.step_id, s])),
  };
}

/** The expression context a step of this run sees. */
export function contextFor(run: LockedRun, step?: StepDef, teardown = false): ExpressionContext {
  const steps: ExpressionContext["steps"] = {};
  for (const [id, s] of run.steps) steps[id] = { status: s.status, outputs: s.outputs };
  return {
    inputs: run.inputs,
    steps,
    needs: step?.needs.map((n) => run.steps.get(n)?.status ?? "pending"),
    cancelled: run.cancelRequested,
    teardown,
  };
}

/** Every step definition of the run, main steps first. */
export function allSteps(def: WorkflowDef): { step: StepDef; phase: "main" | "teardown" }[] {
  return [
    ...def.steps.map((step) => ({ step, phase: "main" as const })),
    ...def.teardown.map((step) => ({ step, phase: "teardown" as const })),
  ];
}
