import type { PoolClient, Queryable } from "../db/pool.ts";
import { appendEvents } from "../events/store.ts";
import { markServerStepStarted, markStepRunning as markRunStepRunning } from "../runs/store.ts";
import { lockRunnerSlots } from "./runner-store.ts";
import type { LlmTaskSpec, TaskSpec } from "./spec.ts";
import { claimQueued, insertAndPlaceTask, insertServerTask, type TaskRow } from "./store.ts";
import { taskId } from "./task-id.ts";

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

/** Create a task (idempotent) and give it to a runner with a free slot when one is online. */
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
): Promise<string> {
  const id = taskId(t.runId, t.stepId, t.attempt);
  // One round trip: insert, place on a runner, mark the step running, its event, the NOTIFY (migration 012).
  await insertAndPlaceTask(client, {
    id,
    operationId: t.runId,
    stepId: t.stepId,
    attempt: t.attempt,
    workspaceId: t.workspaceId,
    workflowId: t.workflowId ?? t.runId,
    spec: t.spec,
    pinnedRunnerId: t.pinnedRunnerId ?? null,
    secretEnv: t.secretEnv ?? t.spec.secretEnv ?? {},
  });
  return id;
}

/**
 * Create a task the server executes itself (idempotent). It is `assigned` at once, as dispatch 1, to no
 * runner: placement and claims only take `queued` tasks and runners only see tasks with their own
 * runner_id, so no runner ever gets it; its result comes back as the same `result` message a runner's would.
 */
export async function createServerTask(
  client: PoolClient,
  t: { runId: string; stepId: string; attempt: number; workspaceId: string; spec: LlmTaskSpec },
): Promise<string> {
  const id = taskId(t.runId, t.stepId, t.attempt);
  const created = await insertServerTask(client, { id, operationId: t.runId, stepId: t.stepId, attempt: t.attempt, workspaceId: t.workspaceId, spec: t.spec });
  if (created) await markServerStepStarted(client, t.runId, t.stepId);
  return id;
}

/** Claim up to the runner's free slots from the queued tasks it may serve, oldest first. */
export async function claimQueuedTasks(client: PoolClient, runnerId: string): Promise<number> {
  const r = await lockRunnerSlots(client, runnerId);
  if (!r || r.status !== "online" || r.free <= 0) return 0;
  const claimed = await claimQueued(client, runnerId, r.workspace_id, r.free);
  for (const row of claimed) await markStepRunning(client, row, r.name);
  return claimed.length;
}

async function markStepRunning(client: PoolClient, task: TaskRow, runnerName: string): Promise<void> {
  await markRunStepRunning(client, task.operation_id, task.step_id, task.runner_id);
  await appendEvents(client, task.operation_id, [
    {
      type: "step",
      payload: { stepId: task.step_id, status: "running", attempt: task.attempt, runner: runnerName },
      dedupeKey: `step:${task.step_id}:${task.attempt}:running:${task.dispatch}`,
    },
  ]);
  await client.query("select pg_notify($1, $2)", [DISPATCH_CHANNEL, task.runner_id]);
}

/** Ask the server holding a runner to kill a task's process tree (runnerId null: the server making a server-run task's model call aborts it). */
export async function requestKill(client: Queryable, runnerId: string | null, id: string): Promise<void> {
  await client.query("select pg_notify($1, $2)", [CANCEL_CHANNEL, JSON.stringify({ runnerId, taskId: id })]);
}
