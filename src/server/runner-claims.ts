// Claims of queued tasks for the runners connected to this server. Many reasons to claim for one runner arrive at
// once under load (a result that freed a slot, a task queued in its workspace, the catch-up timer); while a claim
// for a runner is under way, more requests make one more claim after it rather than one each, which would mostly
// find nothing and still cost a locking statement. While tasks wait, a runner's result makes a claim at once,
// counting its task's slot free, rather than after its advance committed: the next task starts that much sooner.
import type { Queryable } from "../db/pool.ts";
import type { Logger } from "../logger.ts";
import { claimQueuedTasks } from "../tasks/dispatch.ts";
import type { AssignedTask } from "../tasks/spec.ts";

interface Claiming {
  again: boolean;
  done: Promise<void>;
}

/** What is known of a runner's results: those being applied, and whether the last one said tasks wait. */
interface Results {
  /** Tasks whose results have arrived and are being applied: the runner runs them no more. */
  finishing: Set<string>;
  tasksWait: boolean;
}

/** Claims for each runner, one at a time, coalesced. */
export class RunnerClaims {
  private readonly claiming = new Map<string, Claiming>();
  private readonly results = new Map<string, Results>();

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

  /**
   * A result of the runner's, applied by `apply` (true: tasks wait that the runner could claim). Its slot is free
   * from now on: while tasks wait (as the runner's last result said), one is claimed at once, while this result is
   * applied, its task counted as done; else after it, when it says so.
   */
  async onResult(runnerId: string, taskId: string, apply: () => Promise<boolean>): Promise<void> {
    const r = this.results.get(runnerId) ?? { finishing: new Set<string>(), tasksWait: false };
    this.results.set(runnerId, r);
    r.finishing.add(taskId);
    if (r.tasksWait) void this.claim(runnerId);
    let claimable = false;
    try {
      claimable = await apply();
    } finally {
      r.finishing.delete(taskId);
      r.tasksWait = claimable;
      if (r.finishing.size === 0 && !claimable && this.results.get(runnerId) === r) this.results.delete(runnerId);
    }
    if (claimable) void this.claim(runnerId);
  }

  private async claimOnce(runnerId: string): Promise<void> {
    if (!this.o.connected(runnerId)) return;
    const done = [...(this.results.get(runnerId)?.finishing ?? [])];
    const tasks = await claimQueuedTasks(this.o.pool, runnerId, done).catch((err: Error) => {
      this.o.log.warn({ err: err.message, runnerId }, "claiming queued tasks failed");
      return [];
    });
    if (tasks.length > 0) await this.o.send(runnerId, tasks).catch((err: Error) => this.o.log.debug({ err: err.message, runnerId }, "delivering claimed tasks failed"));
  }
}
