// A keyless run's first advance, made in the statement that creates the run when that advance is one placement:
// the run's only first step is a shell step that runs unconditionally. The run is started as a DBOS workflow
// before it is stored (src/runs/service.ts), so a crash in between leaves a workflow without a run, which ends at
// its first tick, rather than a run without a workflow; then shipyard_create_run_and_place (migration 026) stores
// it, makes it running and places its first task, atomically. Nobody sees the run before that commits, so the
// advance needs neither the run's lock nor a transaction of its own: four round trips fewer per run.
import type { Pool } from "../db/pool.ts";
import type { PlacedTask, TaskHandoff } from "../tasks/handoff.ts";
import { nextActions } from "../workflows/index.ts";
import type { WrittenFirst } from "../tasks/store.ts";
import { taskId } from "../tasks/task-id.ts";
import { Advance } from "./advance.ts";
import { allSteps, contextFor, type LockedRun, type StepRow } from "./state.ts";
import { stepTaskSpec } from "./step-task.ts";

/** A run as created and not started yet: every step pending, as shipyard_create_run stores them. */
export function newRunState(r: Omit<LockedRun, "steps" | "status" | "cancelRequested">): LockedRun {
  const rows = allSteps(r.definition).map(
    (s, i): StepRow => ({ step_id: s.step.id, phase: s.phase, position: i + 1, status: "pending", attempt: 0, outputs: {}, exit_code: null, error: null, runner_id: null, started_at: null, finished_at: null }),
  );
  return { ...r, status: "pending", cancelRequested: false, steps: new Map(rows.map((row) => [row.step_id, row])) };
}

/**
 * The step whose placement is the whole first advance of `run` (as newRunState made it), or null: one step is
 * ready at first, a shell step with no `if`, and its command and env expand (else it fails at once, which the
 * ordinary path writes).
 */
export function onlyFirstPlacement(run: LockedRun): string | null {
  const { start } = nextActions(run.definition.steps, {});
  const step = start.length === 1 ? run.definition.steps.find((s) => s.id === start[0]) : undefined;
  if (!step || step.kind !== "run" || step.if !== undefined) return null;
  try {
    stepTaskSpec(step, contextFor(run, step));
    return step.id;
  } catch {
    return null;
  }
}

/**
 * Store `run` (shipyard_create_run's parameters: `createParams`) and make its first advance, placing `stepId`
 * (as onlyFirstPlacement named it), in one statement; returns the run's created_at.
 */
export async function createAndStartRun(pool: Pool, run: LockedRun, stepId: string, createParams: readonly unknown[], handoff?: TaskHandoff): Promise<Date> {
  const creation: NonNullable<WrittenFirst["create"]> = { params: createParams };
  const placed: PlacedTask[] = [];
  // A connection of its own, used without a transaction: the one write commits as it is made, so its dispatch
  // NOTIFY may reach this process's gateway before the answer does (as TaskHandoff.committingNow tells it).
  const client = await pool.connect();
  const placing = handoff?.placing(taskId(run.id, stepId, 1), 1);
  try {
    const a = new Advance(client, { ...run, settled: null, reported: [], started: true }, placed, creation);
    await a.apply({ type: "start" });
    await a.schedule();
    await a.flushAndFinishIfDone();
    if (!creation.createdAt) throw new Error(`run ${run.id} was not created by its first advance`);
    handoff?.placed(placed);
    return creation.createdAt;
  } finally {
    placing?.();
    client.release();
  }
}
