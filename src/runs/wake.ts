// How a run workflow learns that there is something for it: its run finished (a runner's last result applied by
// the server that received it: src/runs/arriving-result.ts), a runner's result stored in its task row (when it
// could not be applied there), or a DBOS message (a cancel, a lost runner, a server-run step's result). Results
// used to travel as DBOS messages, which cost a notification row, its NOTIFY, the consuming transaction and a
// durable timer per step; what the gateway writes is durable already, so the workflow only needs waking. The wait
// is a checkpointed step that looks at the stored state first, so a wake lost to a crash costs nothing: the step
// runs again after recovery and finds the finished run or the reported row.
import type { Pool } from "../db/pool.ts";
import type { Notifier } from "../events/notifier.ts";
import type { WorkflowControl } from "../engine/control.ts";
import { RUN_WAKE_CHANNEL, type RunMessage } from "../tasks/messages.ts";
import { pendingRunWork } from "./store.ts";
import { isFinalStatus, type RunStatus } from "../domain/statuses.ts";

/**
 * What a run's wait ended with: a reported task result, a DBOS message waiting, the run finished (by an advance
 * made where a result arrived), or nothing before the watchdog.
 */
export type RunWork = "reports" | "messages" | "timeout" | { finished: RunStatus };

/** The wake key of a task result stored at that dispatch (the gateway's NOTIFY sends the same one). */
export const reportWakeKey = (taskId: string, dispatch: number) => `report:${taskId}#${dispatch}`;

const FINISHED = "finished:";

/** The wake key of a run that finished with `status`. */
export const finishedWakeKey = (status: RunStatus) => `${FINISHED}${status}`;

/** What a wake key stands for. */
function workOfKey(key: string): RunWork {
  if (key.startsWith("report:")) return "reports";
  if (key.startsWith(FINISHED)) {
    const status = key.slice(FINISHED.length);
    if (isFinalStatus(status)) return { finished: status };
  }
  return "messages";
}

interface Waiter {
  resolve: (work: RunWork) => void;
  timer?: NodeJS.Timeout;
}

/** How long a key that woke a waiter is remembered, so the NOTIFY echo of a local wake is not a second wake. */
const ECHO_MS = 10_000;

/** The run workflows waiting in this process, and the wakes that reach them (in process, or by NOTIFY). */
export class RunWakes {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly recent = new Map<string, number>();
  private closed = false;

  constructor(private readonly pool: Pool) {}

  /** Take wakes sent by other processes; after a reconnect every waiter looks at the stored state again. */
  async listen(notifier: Notifier): Promise<void> {
    // Wakes sent while the connection was down are lost: every waiter looks again (a message, else a tick).
    notifier.onReconnect(() => {
      for (const set of this.waiters.values()) {
        for (const w of set) w.resolve("messages");
        set.clear();
      }
    });
    await notifier.on(RUN_WAKE_CHANNEL, (payload) => {
      const space = payload.indexOf(" ");
      if (space > 0) this.wake(payload.slice(0, space), payload.slice(space + 1));
    });
  }

  /** Wake the waiter of workflow `id` for `key` (`report:…`, `finished:…` or `message:…`), once per key; true when one waits here. */
  wake(id: string, key: string): boolean {
    const set = this.waiters.get(id);
    if (!set || set.size === 0 || this.recent.has(`${id} ${key}`)) return false;
    this.remember(`${id} ${key}`);
    const work = workOfKey(key);
    for (const w of set) w.resolve(work);
    set.clear();
    return true;
  }

  /** Wake workflow `id` here and in every other process: after a message to it has been committed. */
  async announce(id: string, key: string): Promise<void> {
    this.wake(id, key);
    await this.notifyOthers(id, key);
  }

  /**
   * Wake workflow `id` for `key`, committed already: here when it waits here, else in every other process. A
   * workflow waiting nowhere is between steps, and its next wait finds the stored state.
   */
  async wakeAnywhere(id: string, key: string): Promise<void> {
    if (!this.wake(id, key)) await this.notifyOthers(id, key);
  }

  private async notifyOthers(id: string, key: string): Promise<void> {
    await this.pool.query("select pg_notify($1, $2)", [RUN_WAKE_CHANNEL, `${id} ${key}`]);
  }

  /**
   * Wait until there is work for run `runId`: stored results or a message (checked once the waiter is registered,
   * so a wake sent meanwhile is not missed), else the next wake, else "timeout" after `timeoutMs`.
   */
  async waitForWork(runId: string, timeoutMs: number): Promise<RunWork> {
    let waiter!: Waiter;
    const woken = new Promise<RunWork>((resolve) => (waiter = { resolve }));
    if (this.closed) return woken; // never settles: see close()
    const set = this.waiters.get(runId) ?? new Set();
    set.add(waiter);
    this.waiters.set(runId, set);
    waiter.timer = setTimeout(() => waiter.resolve("timeout"), timeoutMs).unref();
    try {
      const stored = await pendingRunWork(this.pool, runId);
      return stored ?? (await woken);
    } finally {
      clearTimeout(waiter.timer);
      set.delete(waiter);
      if (set.size === 0 && this.waiters.get(runId) === set) this.waiters.delete(runId);
    }
  }

  /**
   * Leave every wait unsettled for good (the engine stopped). Neither a result nor an error: a step that ended
   * now would be recorded, and a recorded error would fail the run when it is recovered; a wait that never
   * ends records nothing, and the workflow resumes at it in the next process.
   */
  close(): void {
    this.closed = true;
    for (const set of this.waiters.values()) for (const w of set) clearTimeout(w.timer);
    this.waiters.clear();
  }

  private remember(key: string): void {
    const now = Date.now();
    if (this.recent.size > 1000) for (const [k, at] of this.recent) if (now - at > ECHO_MS) this.recent.delete(k);
    this.recent.set(key, now);
  }
}

/** The prefix of run ids, which are their workflows' ids too (`run_…`). */
export const RUN_ID_PREFIX = "run";

/**
 * `inner`, with every message it sends to a run announced to that run's wait (see RunWakes); the other kinds'
 * workflows receive with DBOS.recv, which DBOS wakes itself.
 */
export function announcingMessages(inner: WorkflowControl, wakes: RunWakes): WorkflowControl {
  return {
    start: (name, o, ...args) => inner.start(name, o, ...args),
    async send(workflowId: string, msg: RunMessage, idempotencyKey: string) {
      await inner.send(workflowId, msg, idempotencyKey);
      if (workflowId.startsWith(`${RUN_ID_PREFIX}_`)) await wakes.announce(workflowId, `message:${idempotencyKey}`);
    },
    cancel: (id) => inner.cancel(id),
    status: (id) => inner.status(id),
  };
}
