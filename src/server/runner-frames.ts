// Storing what a runner sends, so that a frame that arrives again (a runner sends a log batch or a result until
// the server acknowledges it) changes nothing the second time.
import { DBOS } from "@dbos-inc/dbos-sdk";
import type { Pool } from "../db/pool.ts";
import { reportedWorkflow, reportTaskResult } from "../engine/dispatch.ts";
import { RUN_TOPIC, type RunMessage } from "../engine/messages.ts";
import type { OwnedTask } from "./task-ownership.ts";
import { appendEventsNow, appendLogBatch } from "../events/store.ts";
import type { RunnerMessage } from "../runner/protocol.ts";
import type { Metrics } from "./metrics.ts";
import { lineEvent, withoutNul } from "./runner-lines.ts";

/**
 * Store a log frame's lines as events of `task` (the operation, step and attempt the server knows for it, not
 * what the frame claims); a numbered batch only once (an older runner's frames are not numbered).
 */
export async function storeLogFrame(pool: Pool, task: OwnedTask, msg: Extract<RunnerMessage, { type: "log" }>): Promise<void> {
  const events = msg.lines.map((l) => lineEvent(task.stepId, task.attempt, l));
  if (msg.batch === undefined) await appendEventsNow(pool, task.operationId, events);
  else await appendLogBatch(pool, task.operationId, `log:${msg.taskId}#${msg.dispatch}:${msg.batch}`, events);
}

/**
 * Record a task's result and tell its waiting workflow. A repeat finds the task already reported and sends
 * the message again (DBOS keeps one per idempotency key), since the first time may have stopped in between.
 */
export async function storeResultFrame(pool: Pool, metrics: Metrics, runnerId: string, msg: Extract<RunnerMessage, { type: "result" }>): Promise<void> {
  const { type: _t, ...result } = withoutNul(msg);
  // The slot is free as soon as the runner is done; the workflow settles the task when it takes the message
  // (and re-reads a 'reported' row itself if this process dies before the message is sent).
  let workflowId = await reportTaskResult(pool, { taskId: msg.taskId, dispatch: msg.dispatch, runnerId, result });
  if (workflowId) metrics.stepDuration.observe({ status: result.status }, result.durationMs / 1000);
  else workflowId = await reportedWorkflow(pool, msg.taskId, msg.dispatch, runnerId);
  if (!workflowId) return;
  const message: RunMessage = { type: "result", ...result };
  await DBOS.send(workflowId, message, RUN_TOPIC, `result:${msg.taskId}:${msg.dispatch}`);
}
