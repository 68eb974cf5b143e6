// Ending a run whose workflow can no longer end it: DBOS gave up on it (it kept failing on recovery), it failed
// with an error, or it vanished. Without this such a run stays `running` for ever, its tasks keep runner slots,
// and a cancel (a message to a workflow nobody runs) changes nothing.
import type { PoolClient } from "../db/pool.ts";
import { isFinalStatus } from "../domain/statuses.ts";
import { appendEvents, type EventInput } from "../events/store.ts";
import { endOperation, lockOperation } from "../operations/store.ts";
import { requestKill } from "../tasks/dispatch.ts";
import { cancelActiveMainTasks, cancelOperationTasks } from "../tasks/store.ts";
import { cancelSteps, cancelUnfinishedSteps, requestRunCancel } from "./store.ts";

/** DBOS workflow statuses in which the workflow will run no more (so it will never finish its run). */
export const DEAD_WORKFLOW_STATUSES = ["ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED", "CANCELLED", "SUCCESS"] as const;

/** True when a workflow with this DBOS status (null: none exists) will never advance its run again. */
export function isDeadWorkflow(status: string | null | undefined): boolean {
  return status === null || status === undefined || (DEAD_WORKFLOW_STATUSES as readonly string[]).includes(status);
}

/** Why a dead workflow's operation failed, in words for the user (DBOS stores errors as serialized JSON). */
export function deadWorkflowReason(status: string, serializedError: string | null, recoveryAttempts: number): string {
  if (status === "MAX_RECOVERY_ATTEMPTS_EXCEEDED") {
    return `gave up after ${recoveryAttempts} recovery attempts: the server kept failing while running it (its log says why)`;
  }
  if (status === "ERROR") {
    let message = serializedError ?? "unknown error";
    try {
      const parsed = JSON.parse(message) as { message?: unknown } | string;
      message = typeof parsed === "string" ? parsed : typeof parsed.message === "string" ? parsed.message : message;
    } catch {
      // not JSON: keep the text as it is
    }
    return `its workflow failed: ${message.slice(0, 500)}`;
  }
  return `its workflow ended (${status}) without finishing it`;
}

/**
 * End a run now as `status` with `error`: its queued tasks are cancelled, its running ones killed on their
 * runners (or, for server-run ones, wherever their call is made) and settled, its unfinished steps take the
 * run's status, and the run gets its final status and `complete` events. Teardown does not run: there is no
 * workflow left to run it. Returns false (and changes nothing) when the run has already finished. A task a
 * runner is claiming at this very moment is skipped (see stopRunTasks).
 */
export async function forceFinishRun(client: PoolClient, runId: string, status: "failed" | "cancelled", error: string): Promise<boolean> {
  const current = await lockOperation(client, runId);
  if (!current || isFinalStatus(current)) return false;
  for (const t of await cancelOperationTasks(client, runId)) if (t.status === "assigned") await requestKill(client, t.runner_id, t.id);
  const steps = await cancelUnfinishedSteps(client, runId, error);
  if (status === "cancelled") await requestRunCancel(client, runId);
  await endOperation(client, runId, status, error);
  const events: EventInput[] = steps.map((s) => ({
    type: "step",
    payload: { stepId: s.step_id, status: "cancelled", attempt: s.attempt, error },
    dedupeKey: `step:${s.step_id}:${s.attempt}:cancelled`,
  }));
  events.push(
    { type: "status", payload: { status, reason: error }, dedupeKey: `status:${status}` },
    { type: "complete", payload: { status, outputs: {}, error }, dedupeKey: "complete" },
  );
  await appendEvents(client, runId, events);
  return true;
}

/**
 * At a cancel request: the run's main steps still waiting for a runner are cancelled on the spot, its running
 * ones are told to die (on their runners, or wherever a server-run call is made) and settled as cancelled, so no
 * queued step starts after the request and none holds it up, however wide the run and however many results its
 * workflow has yet to take in. Teardown steps are left to run. Returns the steps it cancelled.
 *
 * Tasks a runner is claiming at this very moment are skipped, not waited for: the claim holds them and then
 * waits for the operation row this transaction holds, so waiting would deadlock. Such a task is stopped by the
 * workflow's own handling of the cancel, which comes next.
 */
export async function stopRunTasks(client: PoolClient, runId: string): Promise<{ step_id: string; error: string }[]> {
  const stopped = await cancelActiveMainTasks(client, runId);
  for (const t of stopped) if (t.was === "assigned") await requestKill(client, t.runner_id, t.id);
  const errors = new Map(stopped.map((t) => [t.step_id, t.was === "assigned" ? "cancelled" : "cancelled before it started"]));
  const steps = await cancelSteps(client, runId, errors);
  await appendEvents(
    client,
    runId,
    steps.map((s) => ({
      type: "step",
      payload: { stepId: s.step_id, status: "cancelled", attempt: s.attempt, error: errors.get(s.step_id) },
      dedupeKey: `step:${s.step_id}:${s.attempt}:cancelled`,
    })),
  );
  return steps.map((s) => ({ step_id: s.step_id, error: errors.get(s.step_id)! }));
}
