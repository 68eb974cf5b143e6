import type { PoolClient, Queryable } from "../db/pool.ts";
import { markServerStepStarted } from "../runs/store.ts";
import type { AssignedTask, ServerTaskSpec, TaskSpec } from "./spec.ts";
import { claimTasks, insertAndPlaceTask, insertServerTask, type WrittenFirst } from "./store.ts";
import { taskId } from "./task-id.ts";
import type { PlacedTask } from "./handoff.ts";

/**
 * Hands shell steps to runners. Runners are remote processes connected to some server, so a DBOS queue
 * (which hands work to DBOS executors) cannot reach them; instead a task row is assigned to a runner with a
 * free slot under a row lock, and NOTIFY tells the server holding that runner's connection to send it.
 * Waiting for the result, retrying and timing out are the run workflow's job (DBOS), not this module's.
 */

/** Also hard-coded in shipyard_enqueue_task (migration 012). */
export const DISPATCH_CHANNEL = "shipyard_dispatch";
/** Also hard-coded in shipyard_enqueue_task (migration 012). */
export const QUEUED_CHANNEL = "shipyard_queued";
export const CANCEL_CHANNEL = "shipyard_cancel";

/**
 * Create a task (idempotent) and give it to a runner with a free slot when one is online; a task placed now is
 * added to `placed` (to be handed to this process's gateway once the transaction commits).
 */
export async function enqueueTask(
  client: PoolClient,
  t: {
    runId: string;
    stepId: string;
    attempt: number;
    workspaceId: string;
    spec: TaskSpec;
    /** The workflow to tell about the result (default: the operation's own workflow, id = runId). */
    workflowId?: string;
    pinnedRunnerId?: string;
    secretEnv?: Record<string, string>;
  },
  placed?: PlacedTask[],
  /** What the same round trip writes first (see insertAndPlaceTask). */
  first?: WrittenFirst,
): Promise<string> {
  const id = taskId(t.runId, t.stepId, t.attempt);
  const workflowId = t.workflowId ?? t.runId;
  const secretEnv = t.secretEnv ?? t.spec.secretEnv ?? {};
  // One round trip: insert, place on a runner, mark the step running, its event, the NOTIFY (migration 018).
  const res = await insertAndPlaceTask(client, {
    id,
    operationId: t.runId,
    stepId: t.stepId,
    attempt: t.attempt,
    workspaceId: t.workspaceId,
    workflowId,
    spec: t.spec,
    pinnedRunnerId: t.pinnedRunnerId ?? null,
    secretEnv,
  }, first);
  if (res.placed && placed) {
    placed.push({
      runnerId: res.placed.runnerId,
      message: { taskId: id, dispatch: res.placed.dispatch, runId: t.runId, stepId: t.stepId, attempt: t.attempt, spec: t.spec },
      workflowId,
      workspaceId: t.workspaceId,
      secretEnv,
    });
  }
  return id;
}

/**
 * Create a task the server executes itself (idempotent). It is `assigned` at once, as dispatch 1, to no
 * runner: placement and claims only take `queued` tasks and runners only see tasks with their own
 * runner_id, so no runner ever gets it; its result comes back as the same `result` message a runner's would.
 */
export async function createServerTask(
  client: PoolClient,
  t: { runId: string; stepId: string; attempt: number; workspaceId: string; spec: ServerTaskSpec },
): Promise<string> {
  const id = taskId(t.runId, t.stepId, t.attempt);
  const created = await insertServerTask(client, { id, operationId: t.runId, stepId: t.stepId, attempt: t.attempt, workspaceId: t.workspaceId, spec: t.spec });
  if (created) await markServerStepStarted(client, t.runId, t.stepId);
  return id;
}

/**
 * Claim up to the runner's free slots from the queued tasks it may serve, oldest first, marking their steps
 * running; one statement (shipyard_claim_and_list_tasks, migration 025). It sends no NOTIFY: the caller holds the
 * runner's connection and sends it what is returned (every task assigned to it, when it claimed any; else none).
 * `done`: tasks whose results the runner has sent but are not settled yet: their slots count as free.
 */
export async function claimQueuedTasks(db: Queryable, runnerId: string, done: readonly string[] = []): Promise<AssignedTask[]> {
  return claimTasks(db, runnerId, done);
}

/** Ask the server holding a runner to kill a task's process tree (runnerId null: the server making a server-run task's model call aborts it). */
export async function requestKill(client: Queryable, runnerId: string | null, id: string): Promise<void> {
  await client.query("select pg_notify($1, $2)", [CANCEL_CHANNEL, JSON.stringify({ runnerId, taskId: id })]);
}
