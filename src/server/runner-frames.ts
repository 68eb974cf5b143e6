// Storing what a runner sends, so that a frame that arrives again (a runner sends a log batch or a result until
// the server acknowledges it) changes nothing the second time.
import { DBOS } from "@dbos-inc/dbos-sdk";
import type { Pool } from "../db/pool.ts";
import { RUN_TOPIC, type RunMessage } from "../engine/messages.ts";
import { appendEventsNow, appendLogBatch } from "../events/store.ts";
import type { RunnerMessage } from "../runner/protocol.ts";
import type { Metrics } from "./metrics.ts";
import { lineEvent, withoutNul } from "./runner-lines.ts";

const operationOf = (taskId: string) => taskId.slice(0, taskId.indexOf(":"));

/** Store a log frame's lines as events; a numbered batch only once (an older runner's frames are not numbered). */
export async function storeLogFrame(pool: Pool, msg: Extract<RunnerMessage, { type: "log" }>): Promise<void> {
  const events = msg.lines.map((l) => lineEvent(msg.stepId, msg.attempt, l));
  if (msg.batch === undefined) await appendEventsNow(pool, operationOf(msg.taskId), events);
  else await appendLogBatch(pool, operationOf(msg.taskId), `log:${msg.taskId}#${msg.dispatch}:${msg.batch}`, events);
}

/**
 * Record a task's result and tell its waiting workflow. A repeat finds the task already reported and sends
 * the message again (DBOS keeps one per idempotency key), since the first time may have stopped in between.
 */
export async function storeResultFrame(pool: Pool, metrics: Metrics, msg: Extract<RunnerMessage, { type: "result" }>): Promise<void> {
  const { type: _t, ...result } = withoutNul(msg);
  // The slot is free as soon as the runner is done; the workflow settles the task when it takes the message
  // (and re-reads a 'reported' row itself if this process dies before the message is sent).
  const reported = await pool.query<{ workflow_id: string }>(
    "update tasks set status = 'reported', result = $3 where id = $1 and dispatch = $2 and status = 'assigned' returning workflow_id",
    [msg.taskId, msg.dispatch, JSON.stringify(result)],
  );
  let workflowId = reported.rows[0]?.workflow_id;
  if (workflowId) metrics.stepDuration.observe({ status: result.status }, result.durationMs / 1000);
  else {
    const again = await pool.query<{ workflow_id: string }>("select workflow_id from tasks where id = $1 and dispatch = $2 and status = 'reported'", [
      msg.taskId,
      msg.dispatch,
    ]);
    workflowId = again.rows[0]?.workflow_id;
  }
  if (!workflowId) return;
  const message: RunMessage = { type: "result", ...result };
  await DBOS.send(workflowId, message, RUN_TOPIC, `result:${msg.taskId}:${msg.dispatch}`);
}
