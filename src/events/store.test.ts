import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../../test/helpers/database.ts";
import { migrate } from "../db/migrate.ts";
import { createPool, type Pool } from "../db/pool.ts";
import { createLogger } from "../logger.ts";
import { EventHub } from "./hub.ts";
import { Notifier } from "./notifier.ts";
import { appendEventsNow, readEvents, type StoredEvent } from "./store.ts";

let pool: Pool;
let url: string;
let n = 0;

beforeAll(async () => {
  url = await freshDatabase("events");
  pool = createPool(url, 12);
  await migrate(pool);
  await pool.query("insert into workspaces (id, name) values ('ws_1', 'one')");
});
afterAll(async () => {
  await pool?.end();
});

async function newOperation(): Promise<string> {
  const id = `op_${++n}`;
  await pool.query("insert into operations (id, workspace_id, kind, status, title) values ($1, 'ws_1', 'workflow', 'running', 't')", [id]);
  return id;
}

describe("event store", () => {
  it("numbers concurrent appends gap-free from 1, each writer's events in its own order (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 }), async (batches) => {
        const op = await newOperation();
        await Promise.all(
          batches.map((size, writer) =>
            appendEventsNow(pool, op, Array.from({ length: size }, (_, i) => ({ type: "log" as const, payload: { stepId: "s", stream: "stdout" as const, line: `${writer}:${i}` } }))),
          ),
        );
        const events = await readEvents(pool, op, 0, 10_000);
        const total = batches.reduce((a, b) => a + b, 0);
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
        batches.forEach((size, writer) => {
          const lines = events.flatMap((e) => (e.type === "log" ? [e.payload.line.split(":").map(Number)] : []));
          const mine = lines.filter(([w]) => w === writer).map(([, i]) => i);
          expect(mine).toEqual(Array.from({ length: size }, (_, i) => i));
        });
      }),
      { numRuns: 15 },
    );
  });

  it("drops an event whose dedupe key was already appended, without leaving a gap", async () => {
    const op = await newOperation();
    await appendEventsNow(pool, op, [{ type: "status", payload: { status: "running" }, dedupeKey: "status:running" }]);
    const again = await appendEventsNow(pool, op, [
      { type: "status", payload: { status: "running" }, dedupeKey: "status:running" },
      { type: "log", payload: { stepId: "s", stream: "stdout", line: "x" } },
    ]);
    expect(again.map((e) => e.seq)).toEqual([2]);
    expect((await readEvents(pool, op, 0)).map((e) => [e.seq, e.type])).toEqual([
      [1, "status"],
      [2, "log"],
    ]);
  });

  it("refuses to append to an operation that does not exist", async () => {
    await expect(appendEventsNow(pool, "op_missing", [{ type: "log", payload: { stepId: "s", stream: "stdout", line: "x" } }])).rejects.toThrow(/does not exist/);
  });

  it("hub delivers the replay and then live events exactly once, in order, to each subscriber", async () => {
    const op = await newOperation();
    await appendEventsNow(pool, op, [1, 2, 3].map((i) => ({ type: "log" as const, payload: { stepId: "s", stream: "stdout" as const, line: String(i) } })));
    const notifier = new Notifier(url, createLogger("silent"));
    await notifier.start();
    const hub = new EventHub(pool, notifier, createLogger("silent"));
    const fromStart: StoredEvent[] = [];
    const fromTwo: StoredEvent[] = [];
    const un1 = hub.subscribe(op, 0, (e) => fromStart.push(...e));
    const un2 = hub.subscribe(op, 2, (e) => fromTwo.push(...e));
    for (let i = 4; i <= 10; i++) await appendEventsNow(pool, op, [{ type: "log", payload: { stepId: "s", stream: "stdout", line: String(i) } }]);
    const deadline = Date.now() + 5000;
    while ((fromStart.length < 10 || fromTwo.length < 8) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    un1();
    un2();
    await notifier.stop();
    expect(fromStart.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(fromTwo.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("hub: a subscriber from before its LISTEN was in place misses nothing appended meanwhile", async () => {
    const op = await newOperation();
    const notifier = new Notifier(url, createLogger("silent"));
    await notifier.start();
    // A LISTEN that takes a while (a busy connection): appends before it is in place announce nothing.
    const slow = Object.assign(Object.create(notifier) as Notifier, {
      on: async (channel: string, handler: (payload: string) => void) => {
        await new Promise((r) => setTimeout(r, 300));
        return notifier.on(channel, handler);
      },
    });
    const hub = new EventHub(pool, slow, createLogger("silent"));
    const got: StoredEvent[] = [];
    const un = hub.subscribe(op, 0, (e) => got.push(...e));
    for (let i = 1; i <= 5; i++) await appendEventsNow(pool, op, [{ type: "log", payload: { stepId: "s", stream: "stdout", line: String(i) } }]);
    const deadline = Date.now() + 5000;
    while (got.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    un();
    await notifier.stop();
    expect(got.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });
});
