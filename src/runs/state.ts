import type { PoolClient } from "../db/pool.ts";
import { isFinishedStep, type RunStatus, type StepStatus } from "../domain/statuses.ts";
import { appendEvents, appendEventsParams, type EventInput } from "../events/store.ts";
import type { AnyTaskSpec } from "../tasks/dispatch.ts";
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

/** A task report settled while locking the run: the task's attempt and spec, or null when it was stale. */
export type SettledTask = { attempt: number; spec: AnyTaskSpec } | null;

/**
 * Load and lock a run with its steps (null when it does not exist), in one round trip: shipyard_lock_run
 * (migration 003) locks the operation row, then reads the steps with a snapshot taken after the lock. With
 * `settle`, a task report is also marked done in the same round trip (only while the run is not finished)
 * and `settled` tells what it found. A finished run, or a report that settled nothing, comes back `unchanged`
 * with its status only.
 */
export async function lockRun(
  client: PoolClient,
  runId: string,
  settle?: { taskId: string; dispatch: number; result: unknown },
): Promise<(LockedRun & { settled: SettledTask }) | { id: string; status: RunStatus; unchanged: true } | null> {
  const res = await client.query<{
    r_workspace_id: string;
    r_status: RunStatus;
    r_definition: WorkflowDef;
    r_inputs: Record<string, string | number | boolean>;
    r_cancel_requested_at: Date | null;
    r_steps: (Omit<StepRow, "started_at" | "finished_at"> & { started_at: string | null; finished_at: string | null })[] | null;
    r_task: SettledTask;
  }>("select * from shipyard_lock_run($1, $2, $3, $4)", [
    runId,
    settle?.taskId ?? null,
    settle?.dispatch ?? null,
    settle ? JSON.stringify(settle.result) : null,
  ]);
  const row = res.rows[0];
  if (!row) return null;
  // A finished run, or a stale report (migration 009): nothing to act on, so nothing more was read.
  if (row.r_steps === null) return { id: runId, status: row.r_status, unchanged: true };
  const date = (v: string | null) => (v === null ? null : new Date(v));
  return {
    id: runId,
    workspaceId: row.r_workspace_id,
    status: row.r_status,
    definition: row.r_definition,
    inputs: row.r_inputs,
    cancelRequested: row.r_cancel_requested_at !== null,
    steps: new Map(row.r_steps.map((s) => [s.step_id, { ...s, started_at: date(s.started_at), finished_at: date(s.finished_at) }])),
    settled: row.r_task,
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

/** Write changed step rows and events of a run in one round trip (shipyard_flush_run, migration 003). */
export async function flushRun(client: PoolClient, runId: string, rows: StepRow[], events: EventInput[]): Promise<void> {
  if (rows.length === 0) {
    await appendEvents(client, runId, events);
    return;
  }
  await client.query(
    `select operation_id, seq, type, payload, created_at
     from shipyard_flush_run($1, $2::text[], $3::text[], $4::jsonb[], $5::int[], $6::text[], $7::bool[], $8::int[], $9::text[], $10::jsonb[], $11::text[])`,
    [
      runId,
      rows.map((s) => s.step_id),
      rows.map((s) => s.status),
      rows.map((s) => JSON.stringify(s.outputs)),
      rows.map((s) => s.exit_code),
      rows.map((s) => s.error),
      rows.map((s) => isFinishedStep(s.status)),
      rows.map((s) => s.attempt),
      ...appendEventsParams(runId, events).slice(1),
    ],
  );
}
