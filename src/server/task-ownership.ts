import type { Queryable } from "../db/pool.ts";
import { dispatchKey } from "../tasks/task-id.ts";
import { taskHolder } from "../tasks/store.ts";

/** A task (at one dispatch) that the database says belongs to a connection's runner. */
export interface OwnedTask {
  operationId: string;
  stepId: string;
  attempt: number;
}

/** Why a runner's frame was dropped (the `reason` label of shipyard_runner_frames_rejected_total). */
export type RejectReason = "unknown_task" | "not_assigned" | "stale_dispatch" | "already_reported" | "before_hello";

/** Frames refused per connection are remembered up to this many keys, so a flood of made-up ids stays bounded. */
const MAX_REFUSED = 10_000;


/**
 * The tasks one runner connection may send `log` and `result` frames for: those this server delivered to it,
 * those it reported in its hello that the database confirms are its, and any other that the database says is
 * assigned to it at that dispatch (a result kept across a reconnect). The database is asked once per
 * (task, dispatch) and the answer remembered, so the hot path (hundreds of log frames a second) costs nothing.
 */
export class TaskOwnership {
  private readonly owned = new Map<string, OwnedTask>();
  private readonly refused = new Map<string, RejectReason>();

  constructor(
    private readonly db: Queryable,
    private readonly runnerId: string,
  ) {}

  /** Remember a dispatch the database assigned to this runner. */
  grant(taskId: string, dispatch: number, task: OwnedTask): void {
    const key = dispatchKey(taskId, dispatch);
    this.owned.set(key, task);
    this.refused.delete(key);
  }

  /** Forget a dispatch whose result has been recorded (a second result for it is not this runner's to give). */
  release(taskId: string, dispatch: number): void {
    this.owned.delete(dispatchKey(taskId, dispatch));
  }

  /** The task a frame reports on when it is this runner's at that dispatch; otherwise why not. */
  async check(taskId: string, dispatch: number): Promise<{ task: OwnedTask } | { reason: RejectReason }> {
    const key = dispatchKey(taskId, dispatch);
    const known = this.owned.get(key);
    if (known) return { task: known };
    const refused = this.refused.get(key);
    if (refused) return { reason: refused };
    const holder = await taskHolder(this.db, taskId);
    let reason: RejectReason;
    if (!holder) reason = "unknown_task";
    else if (holder.dispatch !== dispatch) reason = "stale_dispatch";
    else if (holder.runnerId !== this.runnerId) reason = "not_assigned";
    else if (holder.status !== "assigned") reason = "already_reported";
    else {
      const task = { operationId: holder.operationId, stepId: holder.stepId, attempt: holder.attempt };
      this.owned.set(key, task);
      return { task };
    }
    if (this.refused.size >= MAX_REFUSED) this.refused.clear();
    this.refused.set(key, reason);
    return { reason };
  }
}
