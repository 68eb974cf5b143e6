import { describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import { Outbox, type OutboxOptions } from "./outbox.ts";
import type { LogLine, RunnerMessage, TaskMessage } from "./protocol.ts";

const task: TaskMessage = { taskId: "run_1:s:1", dispatch: 1, runId: "run_1", stepId: "s", attempt: 1, spec: { command: "true", env: {} } };
const lines = (from: number, n: number): LogLine[] => Array.from({ length: n }, (_, i) => ({ stream: "stdout", line: `l${from + i}`, time: "t" }));
const done = { status: "succeeded" as const, exitCode: 0, outputs: {}, durationMs: 1 };

/** An outbox on a fake connection: `sent` is what was written, `connected` decides whether a write succeeds. */
function harness(opts: Partial<OutboxOptions> = {}) {
  const h = { sent: [] as RunnerMessage[], connected: true, now: 0 };
  const outbox = new Outbox({ send: (m) => h.connected && (h.sent.push(m), true), log: createLogger("silent"), now: () => h.now, ...opts });
  outbox.setAcks(true);
  return { ...h, h, outbox, logs: () => h.sent.filter((m) => m.type === "log") as Extract<RunnerMessage, { type: "log" }>[] };
}

describe("Outbox", () => {
  it("one batch in flight per task: later lines wait for its ack, the result for every line's", () => {
    const { h, outbox, logs } = harness();
    outbox.lines(task, lines(1, 3));
    outbox.flush();
    expect(logs().map((m) => [m.batch, m.lines.map((l) => l.line)])).toEqual([[1, ["l1", "l2", "l3"]]]);
    outbox.lines(task, lines(4, 2));
    outbox.flush();
    outbox.result(task, done);
    expect(h.sent).toHaveLength(1);
    outbox.ack({ taskId: task.taskId, dispatch: 1, batch: 1 });
    expect(logs().map((m) => [m.batch, m.lines.map((l) => l.line)])).toEqual([[1, ["l1", "l2", "l3"]], [2, ["l4", "l5"]]]);
    expect(outbox.unsettled()).toEqual([{ taskId: task.taskId, dispatch: 1 }]);
    outbox.ack({ taskId: task.taskId, dispatch: 1, batch: 2 });
    expect(h.sent.at(-1)).toMatchObject({ type: "result", taskId: task.taskId, dispatch: 1, status: "succeeded" });
    outbox.ack({ taskId: task.taskId, dispatch: 1 });
    expect(outbox.unsettled()).toEqual([]);
    expect(outbox.unackedLines).toBe(0);
  });

  it("keeps what is not acknowledged: sends it again after resendMs and after a reconnect, under the same batch number", () => {
    const { h, outbox, logs } = harness({ resendMs: 2000 });
    outbox.lines(task, lines(1, 2));
    outbox.flush();
    h.now = 1999;
    outbox.resendStale();
    expect(logs()).toHaveLength(1);
    h.now = 2000;
    outbox.resendStale();
    expect(logs().map((m) => m.batch)).toEqual([1, 1]);
    h.connected = false;
    outbox.resendAll();
    outbox.lines(task, lines(3, 1));
    outbox.result(task, done);
    expect(logs()).toHaveLength(2);
    h.connected = true;
    outbox.resendAll();
    expect(logs().map((m) => m.batch)).toEqual([1, 1, 1]);
    outbox.ack({ taskId: task.taskId, dispatch: 1, batch: 1 });
    outbox.ack({ taskId: task.taskId, dispatch: 1, batch: 1 }); // a duplicate ack changes nothing
    outbox.ack({ taskId: task.taskId, dispatch: 1, batch: 2 });
    expect(h.sent.map((m) => (m.type === "log" ? `log${m.batch}` : m.type))).toEqual(["log1", "log1", "log1", "log2", "result"]);
  });

  it("bounds what it keeps: past the bound the oldest unsent lines go, and the next batch says how many", () => {
    const { outbox, logs } = harness({ maxPendingLines: 10 });
    outbox.lines(task, lines(1, 1));
    outbox.flush(); // l1 in flight, never acknowledged while 25 more lines come
    outbox.lines(task, lines(2, 25));
    outbox.ack({ taskId: task.taskId, dispatch: 1, batch: 1 });
    const next = logs()[1]!.lines.map((l) => l.line);
    expect(next[0]).toBe("[shipyard] 15 lines dropped: the server did not store them in time");
    expect(next.slice(1)).toEqual(lines(17, 10).map((l) => l.line));
  });

  it("splits a long backlog into batches the protocol accepts", () => {
    const { outbox, logs } = harness();
    outbox.lines(task, lines(1, 12_000));
    outbox.flush();
    outbox.ack({ taskId: task.taskId, dispatch: 1, batch: 1 });
    outbox.ack({ taskId: task.taskId, dispatch: 1, batch: 2 });
    expect(logs().map((m) => m.lines.length)).toEqual([5000, 5000, 2000]);
  });

  it("to a server that does not acknowledge: each message once, as soon as there is a connection", () => {
    const { h, outbox, logs } = harness();
    outbox.setAcks(false);
    h.connected = false;
    outbox.lines(task, lines(1, 2));
    outbox.flush();
    outbox.lines(task, lines(3, 1));
    outbox.result(task, done);
    expect(h.sent).toHaveLength(0);
    expect(outbox.unsettled()).toHaveLength(1);
    h.connected = true;
    outbox.resendAll();
    expect(logs().map((m) => m.lines.map((l) => l.line))).toEqual([["l1", "l2"], ["l3"]]);
    expect(h.sent.at(-1)?.type).toBe("result");
    outbox.resendStale();
    expect(h.sent).toHaveLength(3);
    expect(outbox.unsettled()).toEqual([]);
  });
});
