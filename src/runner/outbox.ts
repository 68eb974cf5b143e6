import type { Logger } from "../logger.ts";
import type { TaskResult } from "./protocol.ts";
import { MAX_BATCH_LINES, type LogLine, type RunnerMessage, type TaskMessage } from "./protocol.ts";

type LogMessage = Extract<RunnerMessage, { type: "log" }>;
type ResultMessage = Extract<RunnerMessage, { type: "result" }>;
/** What the server acknowledges: a task dispatch's log batch, or its result when `batch` is absent. */
export interface Ack {
  taskId: string;
  dispatch: number;
  batch?: number;
}

/** A message on its way: `sentAt` is null until it is written (again) to a connection. */
interface Outgoing<M> {
  msg: M;
  sentAt: number | null;
}

/** One task dispatch's output: lines not yet in a batch, the batch waiting for its ack, then the result. */
interface TaskOutput {
  task: Pick<TaskMessage, "taskId" | "dispatch" | "stepId" | "attempt">;
  pending: LogLine[];
  pendingChars: number;
  dropped: number;
  nextBatch: number;
  inflight: Outgoing<LogMessage> | null;
  result: Outgoing<ResultMessage> | null;
}

export interface OutboxOptions {
  /** Write a message to the server; false when there is no open, welcomed connection. */
  send: (msg: RunnerMessage) => boolean;
  log: Logger;
  /** Lines kept per task while the server does not acknowledge them; past this the oldest are dropped. */
  maxPendingLines?: number;
  /** The same bound in characters. */
  maxPendingChars?: number;
  /** How long a sent message waits for its ack before it is sent again. */
  resendMs?: number;
  now?: () => number;
}

/** A line longer than this is clipped: one message must stay far below the connection's 16 MiB frame limit. */
const MAX_LINE_CHARS = 1024 * 1024;
/** Characters of lines per batch (JSON may escape a character into six: still under the frame limit). */
const MAX_BATCH_CHARS = 2 * 1024 * 1024;

const keyOf = (t: { taskId: string; dispatch: number }) => `${t.taskId}#${t.dispatch}`;

/**
 * What a runner owes the server, kept until the server says it stored it: each task's log lines in numbered
 * batches and then its result. A task has one batch in flight at a time, so its lines are stored in order
 * and its result only after all of them; lines printed meanwhile gather into the next batch. What is not
 * acknowledged goes again after a reconnect and, while connected, after `resendMs`; the server stores a
 * batch or a result once however often it arrives. A server that does not acknowledge (an older one) gets
 * each message once, as soon as there is a connection.
 */
export class Outbox {
  private readonly tasks = new Map<string, TaskOutput>();
  private acks = false;
  private readonly maxLines: number;
  private readonly maxChars: number;
  private readonly resendMs: number;
  private readonly now: () => number;

  constructor(private readonly o: OutboxOptions) {
    this.maxLines = o.maxPendingLines ?? 200_000;
    this.maxChars = o.maxPendingChars ?? 64 * 1024 * 1024;
    this.resendMs = o.resendMs ?? 2000;
    this.now = o.now ?? Date.now;
  }

  /** Whether the server of the current connection acknowledges (its welcome says so). */
  setAcks(on: boolean): void {
    this.acks = on;
  }

  /** Lines a task printed; they go out with the next flush. */
  lines(task: TaskMessage, lines: readonly LogLine[]): void {
    const out = this.output(task);
    for (const l of lines) {
      const line = l.line.length > MAX_LINE_CHARS ? { ...l, line: `${l.line.slice(0, MAX_LINE_CHARS)}…[line clipped]` } : l;
      out.pending.push(line);
      out.pendingChars += line.line.length;
    }
    this.bound(out);
  }

  /** A task's result: it goes once every line it printed before is acknowledged. */
  result(task: TaskMessage, result: Omit<TaskResult, "taskId" | "dispatch">): void {
    this.output(task).result = { msg: { type: "result", taskId: task.taskId, dispatch: task.dispatch, ...result }, sentAt: null };
    this.flush();
  }

  /** Send what may go now. */
  flush(): void {
    for (const out of [...this.tasks.values()]) this.advance(out);
  }

  /** The server stored this: forget it and send what waited behind it. */
  ack(a: Ack): void {
    const out = this.tasks.get(keyOf(a));
    if (!out) return;
    if (a.batch === undefined) {
      if (out.result && out.inflight === null && out.pending.length === 0) this.tasks.delete(keyOf(a));
      return;
    }
    if (out.inflight?.msg.batch !== a.batch) return;
    out.inflight = null;
    this.advance(out);
  }

  /** After a (re)connect: everything unacknowledged goes again. */
  resendAll(): void {
    for (const out of this.tasks.values()) {
      if (out.inflight) out.inflight.sentAt = null;
      if (out.result) out.result.sentAt = null;
    }
    this.flush();
  }

  /** On a timer while connected: what waited longer than `resendMs` for its ack goes again. */
  resendStale(): void {
    const before = this.now() - this.resendMs;
    for (const out of this.tasks.values()) {
      for (const m of [out.inflight, out.result]) if (m && m.sentAt !== null && m.sentAt <= before) m.sentAt = null;
    }
    this.flush();
  }

  /** Task dispatches whose result the server has not acknowledged yet: a reconnecting runner still holds them. */
  unsettled(): { taskId: string; dispatch: number }[] {
    return [...this.tasks.values()].filter((o) => o.result !== null).map((o) => ({ taskId: o.task.taskId, dispatch: o.task.dispatch }));
  }

  /** Lines not yet acknowledged, over all tasks. */
  get unackedLines(): number {
    let n = 0;
    for (const o of this.tasks.values()) n += o.pending.length + (o.inflight?.msg.lines.length ?? 0);
    return n;
  }

  private output(task: TaskMessage): TaskOutput {
    const key = keyOf(task);
    let out = this.tasks.get(key);
    if (!out) {
      const { taskId, dispatch, stepId, attempt } = task;
      out = { task: { taskId, dispatch, stepId, attempt }, pending: [], pendingChars: 0, dropped: 0, nextBatch: 1, inflight: null, result: null };
      this.tasks.set(key, out);
    }
    return out;
  }

  /** Past the bound the oldest unsent lines go; the next batch starts with a line saying how many. */
  private bound(out: TaskOutput): void {
    let drop = 0;
    let chars = out.pendingChars;
    while (out.pending.length - drop > 1 && (out.pending.length - drop > this.maxLines || chars > this.maxChars)) {
      chars -= out.pending[drop]!.line.length;
      drop += 1;
    }
    if (drop === 0) return;
    if (out.dropped === 0) this.o.log.warn({ taskId: out.task.taskId }, "the server is not storing log lines; dropping the oldest unsent ones");
    out.pending.splice(0, drop);
    out.pendingChars = chars;
    out.dropped += drop;
  }

  /** Write this task's next message, as far as the connection and the acks allow. */
  private advance(out: TaskOutput): void {
    for (;;) {
      if (out.inflight === null && (out.pending.length > 0 || out.dropped > 0)) out.inflight = { msg: this.nextBatch(out), sentAt: null };
      const next = out.inflight ?? out.result;
      if (next === null || next.sentAt !== null) return;
      if (!this.o.send(next.msg)) return;
      next.sentAt = this.now();
      if (this.acks) return;
      // Unacknowledged delivery: written is as good as it gets.
      if (next === out.inflight) out.inflight = null;
      else return void this.tasks.delete(keyOf(out.task));
    }
  }

  private nextBatch(out: TaskOutput): LogMessage {
    const lines: LogLine[] = [];
    if (out.dropped > 0) {
      lines.push({ stream: "stderr", line: `[shipyard] ${out.dropped} lines dropped: the server did not store them in time`, time: new Date(this.now()).toISOString() });
      out.dropped = 0;
    }
    let chars = 0;
    let take = 0;
    while (take < out.pending.length && lines.length + take < MAX_BATCH_LINES) {
      const len = out.pending[take]!.line.length;
      if (take > 0 && chars + len > MAX_BATCH_CHARS) break;
      chars += len;
      take += 1;
    }
    lines.push(...out.pending.splice(0, take));
    out.pendingChars -= chars;
    const { taskId, dispatch, stepId, attempt } = out.task;
    return { type: "log", taskId, dispatch, stepId, attempt, lines, batch: out.nextBatch++ };
  }
}
