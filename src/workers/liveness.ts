import { randomUUID } from "node:crypto";
import os from "node:os";
import pg from "pg";
import type { Logger } from "../logger.ts";
import {
  beat,
  claimDeadWorkers,
  getWorker,
  joinAsWorker,
  markRecovered,
  markStopped,
  releaseClaim,
  tryLockExecutor,
  unlockExecutor,
  type Self,
} from "./worker-store.ts";

export interface LivenessOptions {
  databaseUrl: string;
  executorId: string;
  log: Logger;
  /** Hand one dead executor's pending workflows back to the queues (DBOS's recovery); returns how many. */
  recover: (executorId: string) => Promise<number>;
  /** This process's workflows were handed to another worker (or its id taken): it must stop executing now. */
  onFenced: (reason: string) => void;
  /** How often the heartbeat is written and dead workers looked for (default 5 s). */
  heartbeatMs?: number;
  /** A running worker silent this long is dead (default 20 s): its pending workflows are recovered. */
  deadAfterMs?: number;
}

const LOCK_RETRY_MS = 250;

/**
 * The liveness of one process that executes workflows: a row in `workers` beating every few seconds and a
 * session advisory lock on its executor id, both on one dedicated connection (a heartbeat that went through
 * proves the lock is still held). Each beat also looks for dead workers; one live worker claims each (a
 * conditional UPDATE, so exactly one wins), and recovers it only if it can take the dead one's lock too: a
 * process still connected is never recovered, whatever its heartbeat says, and a restart with the same id
 * waits until a recovery in progress has finished.
 *
 * A clean stop marks the row `stopped` after DBOS has shut down; its workflows still pending are then handed
 * over at once by a live worker (or, with none, recovered by the next start of the same id, as before).
 */
export class WorkerLiveness {
  readonly self: Self;
  private readonly heartbeatMs: number;
  private readonly deadAfterMs: number;
  /** A beat after a longer silence starts a new unbroken run of beats (claims need a run of deadAfterMs). */
  private readonly gapMs: number;
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  private outage = false;

  constructor(private readonly o: LivenessOptions) {
    this.self = { executorId: o.executorId, incarnation: randomUUID() };
    this.heartbeatMs = o.heartbeatMs ?? 5000;
    this.deadAfterMs = o.deadAfterMs ?? 20_000;
    this.gapMs = this.heartbeatMs * 3;
  }

  /**
   * Take the executor id (waiting up to deadAfterMs while another worker recovers it) and start beating. Throws
   * when a live process holds the id: two processes with one id would each recover the other's workflows.
   */
  async start(): Promise<void> {
    const client = await this.connect();
    const deadline = Date.now() + this.deadAfterMs;
    while (!(await tryLockExecutor(client, this.self.executorId))) {
      if (Date.now() > deadline) {
        const holder = await getWorker(client, this.self.executorId);
        await client.end();
        throw new Error(
          `executor id "${this.self.executorId}" is in use by a live process${holder ? ` (pid ${holder.pid} on ${holder.host})` : ""}: give each process on this database its own SHIPYARD_EXECUTOR_ID`,
        );
      }
      await new Promise((r) => setTimeout(r, LOCK_RETRY_MS));
    }
    await joinAsWorker(client, this.self, process.pid, os.hostname());
    this.client = client;
    this.timer = setInterval(() => void this.tick(), this.heartbeatMs);
    this.timer.unref();
  }

  /** One heartbeat and one look for dead workers now (the timer does the same); resolves when done. */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.ticking ??= this.beatAndSweep().finally(() => (this.ticking = null));
    return this.ticking;
  }

  /** Stop beating and mark this worker stopped (call it after the engine has shut down). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    const client = this.client;
    this.client = null;
    if (!client) return;
    await markStopped(client, this.self).catch((err: Error) => this.o.log.warn({ err: err.message }, "could not mark this worker stopped"));
    await client.end().catch(() => undefined);
  }

  private async beatAndSweep(): Promise<void> {
    try {
      const client = this.client ?? (await this.reconnect());
      if (!client) return;
      if (!(await beat(client, this.self, this.gapMs))) return this.fence("this worker's row was taken over (found dead while away, or its id started elsewhere)");
      for (const executorId of await claimDeadWorkers(client, this.self, this.deadAfterMs, this.gapMs)) await this.takeOver(client, executorId);
    } catch (err) {
      this.drop(err as Error);
    }
  }

  private async takeOver(client: pg.Client, executorId: string): Promise<void> {
    if (!(await tryLockExecutor(client, executorId))) {
      // Connected, so alive (a stalled event loop, or a restart under way): not ours to recover.
      await releaseClaim(client, this.self, executorId);
      this.o.log.info({ executorId }, "a silent worker still holds its lock; left alone");
      return;
    }
    try {
      const workflows = await this.o.recover(executorId).catch((err: Error) => {
        // The claim stays; it expires after deadAfterMs and any live worker tries again (recovery is idempotent).
        this.o.log.warn({ executorId, err: err.message }, "recovering a dead worker's workflows failed");
        return null;
      });
      if (workflows === null) return;
      await markRecovered(client, this.self, executorId, workflows);
      this.o.log.warn({ executorId, workflows }, "took over a dead or stopped worker's pending workflows");
    } finally {
      await unlockExecutor(client, executorId);
    }
  }

  /** After the connection was lost: connect again and take back this process's lock (then beat says if the row is still ours). */
  private async reconnect(): Promise<pg.Client | null> {
    const client = await this.connect();
    if (!(await tryLockExecutor(client, this.self.executorId))) {
      await client.end().catch(() => undefined);
      this.fence("another process holds this worker's executor id");
      return null;
    }
    this.client = client;
    if (this.outage) this.o.log.info("worker heartbeat connection restored");
    this.outage = false;
    return client;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.o.databaseUrl, application_name: `shipyard-worker ${this.self.executorId}` });
    client.on("error", (err) => this.drop(err, client));
    await client.connect();
    return client;
  }

  /** The connection (and with it the lock) is gone: the next tick connects again. */
  private drop(err: Error, which: pg.Client | null = this.client): void {
    if (which && which === this.client) this.client = null;
    void which?.end().catch(() => undefined);
    if (!this.outage && !this.stopped) this.o.log.warn({ err: err.message }, "worker heartbeat failed; retrying");
    this.outage = true;
  }

  private fence(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.o.log.error({ executorId: this.self.executorId, reason }, "worker fenced: stopping");
    this.o.onFenced(reason);
  }
}
