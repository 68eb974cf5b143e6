// Storing what a runner sends, so that a frame that arrives again (a runner sends a log batch or a result until
// the server acknowledges it) changes nothing the second time.
import { dispatchKey } from "../tasks/task-id.ts";
import type { Pool } from "../db/pool.ts";
import type { WorkflowControl } from "../engine/control.ts";
import { reportedWorkflow, reportTaskResult } from "../tasks/store.ts";
import type { RunMessage } from "../tasks/messages.ts";
import type { OwnedTask, RejectReason, TaskOwnership } from "./task-ownership.ts";
import { appendEventsNow, appendLogBatch } from "../events/store.ts";
import type { Logger } from "../logger.ts";
import type { RunnerMessage, ServerMessage } from "../runner/protocol.ts";
import type { Metrics } from "./metrics.ts";
import { lineEvent, withoutNul } from "./runner-lines.ts";
import { reportWakeKey, type RunWakes } from "../runs/wake.ts";
import { applyArrivingResult, runOfTask } from "../runs/arriving-result.ts";
import type { TaskHandoff } from "../tasks/handoff.ts";

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
 * Apply a run task's result to its run here (src/runs/arriving-result.ts); any other task's result, or one that
 * could not be applied here, is stored for its waiting workflow (see storeResultFrame).
 * True when the result freed a slot of the runner and a task it may claim waits.
 */
export async function takeResultFrame(
  h: Pick<FrameHandling, "pool" | "workflows" | "metrics" | "wakes" | "handoff" | "log">,
  runner: { runnerId: string; workspaceId: string | null },
  msg: Extract<RunnerMessage, { type: "result" }>,
): Promise<boolean> {
  const runId = runOfTask(msg.taskId);
  if (runId) {
    const { type: _t, ...result } = withoutNul(msg);
    try {
      const outcome = await applyArrivingResult(h, runId, runner, result);
      if (!outcome.stale) h.metrics.stepDuration.observe({ status: result.status }, result.durationMs / 1000);
      return outcome.claimable === true;
    } catch (err) {
      // Nothing of the advance was kept: the run workflow applies the stored report instead, and retries.
      h.log.warn({ err: (err as Error).message, runId, taskId: msg.taskId }, "applying a result to its run failed; storing it for the run's workflow");
    }
  }
  return storeResultFrame(h, runner, msg);
}

/**
 * Record a task's result and tell its waiting workflow: a run's is woken, any other gets a DBOS message. A repeat
 * finds the task already reported and tells it again (DBOS keeps one message per idempotency key), since the
 * first time may have stopped in between.
 * True when the result freed a slot of the runner and a task it may claim waits.
 */
export async function storeResultFrame(
  { pool, workflows, metrics, wakes }: Pick<FrameHandling, "pool" | "workflows" | "metrics" | "wakes">,
  runner: { runnerId: string; workspaceId: string | null },
  msg: Extract<RunnerMessage, { type: "result" }>,
): Promise<boolean> {
  const { type: _t, ...result } = withoutNul(msg);
  // The slot is free as soon as the runner is done; the workflow settles the task when it takes the message
  // (and re-reads a 'reported' row itself if this process dies before the message is sent).
  const reported = await reportTaskResult(pool, { taskId: msg.taskId, dispatch: msg.dispatch, ...runner, result });
  if (reported) metrics.stepDuration.observe({ status: result.status }, result.durationMs / 1000);
  const target = reported ?? (await reportedWorkflow(pool, msg.taskId, msg.dispatch, runner.runnerId));
  if (!target) return false;
  if (target.ofRun) {
    // A run workflow takes the stored row itself: waking it is enough (the statement above sent the NOTIFY).
    wakes.wake(target.workflowId, reportWakeKey(msg.taskId, msg.dispatch));
  } else {
    const message: RunMessage = { type: "result", ...result };
    await workflows.send(target.workflowId, message, `result:${msg.taskId}:${msg.dispatch}`);
  }
  return reported?.claimable === true;
}

/** What handling a runner's frames needs. */
export interface FrameHandling {
  pool: Pool;
  /** Tells the waiting workflow about a result (a job's or build's, by a DBOS message). */
  workflows: WorkflowControl;
  /** Wakes a run workflow waiting in this process for a result. */
  wakes: RunWakes;
  /** Hands tasks that results make ready to this process's gateway. */
  handoff?: TaskHandoff;
  metrics: Metrics;
  log: Logger;
  /** Send a message back on the frame's connection. */
  send: (msg: ServerMessage) => void;
}

/** The part of a runner connection frame handling reads and keeps up to date. */
export interface FrameConnection {
  runnerId: string;
  /** The runner's workspace; null: the shared pool. */
  workspaceId: string | null;
  name: string;
  /** The runner sends again what is not acknowledged, and expects acks. */
  acks: boolean;
  /** The tasks this runner may report on. */
  owned: TaskOwnership;
  /** A dropped frame is logged once per connection (then only counted). */
  warnedRejected: boolean;
  /** Dispatches sent on this connection. */
  sent: Set<string>;
}

/**
 * Store a runner's log or result frame, only when it reports on a task assigned to that very runner at its
 * current dispatch (a runner of one workspace must not write another's events or results, nor a stale dispatch
 * its successor's), and acknowledge it once the write committed: what fails to store (the database is away)
 * simply comes again. True when a result freed one of the runner's slots and a task it may claim waits.
 */
export async function handleRunnerFrame(h: FrameHandling, c: FrameConnection, msg: Extract<RunnerMessage, { type: "log" | "result" }>): Promise<boolean> {
  const owned = await c.owned.check(msg.taskId, msg.dispatch);
  if ("reason" in owned) {
    reject(h, c, owned.reason, msg);
    // Acknowledged all the same: sending it again could never make it count (and a repeat of a result
    // already recorded is simply that).
    ack(h, c, msg);
    return false;
  }
  if (msg.type === "log") {
    await storeLogFrame(h.pool, owned.task, msg);
    ack(h, c, msg);
    return false;
  }
  const claimable = await takeResultFrame(h, c, msg);
  c.sent.delete(dispatchKey(msg.taskId, msg.dispatch));
  c.owned.release(msg.taskId, msg.dispatch);
  ack(h, c, msg);
  return claimable;
}

/** Tell a runner that asked for acknowledgements that a frame is settled (a log batch by its number). */
function ack(h: FrameHandling, c: FrameConnection, msg: Extract<RunnerMessage, { type: "log" | "result" }>): void {
  if (!c.acks) return;
  if (msg.type === "result") h.send({ type: "ack", taskId: msg.taskId, dispatch: msg.dispatch });
  else if (msg.batch !== undefined) h.send({ type: "ack", taskId: msg.taskId, dispatch: msg.dispatch, batch: msg.batch });
}

/** Drop a frame: counted always, logged once per connection (a misbehaving runner sends thousands). */
function reject(h: FrameHandling, c: FrameConnection, reason: RejectReason, msg: { taskId: string; dispatch: number }): void {
  h.metrics.runnerFramesRejected.inc({ reason });
  if (c.warnedRejected) return;
  c.warnedRejected = true;
  h.log.warn(
    { runnerId: c.runnerId, name: c.name, taskId: msg.taskId, dispatch: msg.dispatch, reason },
    "dropped a runner frame for a task that is not this runner's at that dispatch (further ones on this connection are only counted)",
  );
}
