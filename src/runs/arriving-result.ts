// A runner's result for a run's task is applied by the server that receives it: the task is settled, the run
// advanced and its next tasks placed in one transaction, before the runner is acknowledged. That spares each step
// the hop through the run workflow (a stored report, a wake, a checkpointed DBOS step of about eight statements),
// which now waits only for the run's end, messages (cancels, lost runners, server-run steps' results) and its
// watchdog. It is safe because an advance is a function of the stored state under the run's lock, wherever it
// runs: a crash before the commit loses nothing (the runner sends the result again, as it is not acknowledged),
// and a repeat after it finds the task settled and changes nothing.
import type { Pool } from "../db/pool.ts";
import type { WorkflowControl } from "../engine/control.ts";
import type { TaskHandoff } from "../tasks/handoff.ts";
import type { TaskResult } from "../tasks/messages.ts";
import { operationOfTask } from "../tasks/task-id.ts";
import { advanceRun, type AdvanceOutcome } from "./advance.ts";
import type { ReportingRunner } from "./store.ts";
import { finishedWakeKey, RUN_ID_PREFIX, type RunWakes } from "./wake.ts";
import { startServerTasks } from "./workflow.ts";

/** What applying a result where it arrives needs. */
export interface ArrivingResults {
  pool: Pool;
  workflows: WorkflowControl;
  wakes: RunWakes;
  handoff?: TaskHandoff;
}

/** The run a task belongs to, when it is a run's (other kinds' tasks go to their workflow as a message). */
export function runOfTask(taskId: string): string | null {
  const op = operationOfTask(taskId);
  return op.startsWith(`${RUN_ID_PREFIX}_`) ? op : null;
}

/**
 * Apply `result` (of a task of run `runId`, reported by `runner`) to the run: settle it, advance the run, place
 * what became ready; then wake the run's workflow when the run finished, and start the child workflows of the
 * server-run steps it started. Throws when the advance failed (nothing of it is kept).
 */
export async function applyArrivingResult(d: ArrivingResults, runId: string, runner: ReportingRunner, result: TaskResult): Promise<AdvanceOutcome> {
  const outcome = await advanceRun(d.pool, runId, { type: "result", ...result }, d.handoff, runner);
  // A repeat wakes it again: the first time may have stopped between its commit and the wake.
  if (outcome.finished) await d.wakes.wakeAnywhere(runId, finishedWakeKey(outcome.status));
  if (outcome.serverTasks?.length) await startServerTasks(d.workflows, runId, outcome.serverTasks);
  return outcome;
}
