// Claims of queued tasks for the runners connected to this server. Many reasons to claim for one runner arrive at
// once under load (a result that freed a slot, a task queued in its workspace, the catch-up timer); while a claim
// for a runner is under way, more requests make one more claim after it rather than one each, which would mostly
// find nothing and still cost a locking statement.
import type { Queryable } from "../db/pool.ts";
import type { Logger } from "../logger.ts";
import { claimQueuedTasks } from "../tasks/dispatch.ts";
import type { AssignedTask } from "../tasks/spec.ts";

interface Claiming {
  again: boolean;
  done: Promise<void>;
}

/** Claims for each runner, one at a time, coalesced. */
export class RunnerClaims {
  private readonly claiming = new Map<string, Claiming>();

  constructor(
    private readonly o: {
      pool: Queryable;
      log: Logger;
      /** Whether the runner is still connected here (no claim for one that is gone). */
      connected: (runnerId: string) => boolean;
      /** Send the runner what is assigned to it (each dispatch once). */
      send: (runnerId: string, tasks: AssignedTask[]) => Promise<void>;
    },
  ) {}

  /** Claim waiting tasks for a runner and send them; resolves when a claim begun after this request has ended. */
  claim(runnerId: string): Promise<void> {
    const running = this.claiming.get(runnerId);
    if (running) {
      running.again = true;
      return running.done;
    }
    const state: Claiming = { again: false, done: Promise.resolve() };
    state.done = (async () => {
      try {
        do {
          state.again = false;
          await this.claimOnce(runnerId);
        } while (state.again);
      } finally {
        this.claiming.delete(runnerId);
      }
    })();
    this.claiming.set(runnerId, state);
    return state.done;
  }

  private async claimOnce(runnerId: string): Promise<void> {
    if (!this.o.connected(runnerId)) return;
    const tasks = await claimQueuedTasks(this.o.pool, runnerId).catch((err: Error) => {
      this.o.log.warn({ err: err.message, runnerId }, "claiming queued tasks failed");
      return [];
    });
    if (tasks.length > 0) await this.o.send(runnerId, tasks).catch((err: Error) => this.o.log.debug({ err: err.message, runnerId }, "delivering claimed tasks failed"));
  }
}
