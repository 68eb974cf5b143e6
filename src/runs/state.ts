// A run as its workflow acts on it: the rows it loaded under lock, and the expression context its steps see.
import type { RunStatus, StepStatus } from "../domain/statuses.ts";
import type { AnyTaskSpec } from "../tasks/spec.ts";
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
