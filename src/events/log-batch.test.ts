import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../../test/helpers/database.ts";
import { migrate } from "../db/migrate.ts";
import { createPool, type Pool } from "../db/pool.ts";
import { appendEventsNow, appendLogBatch, readEvents } from "./store.ts";

let pool: Pool;

beforeAll(async () => {
  pool = createPool(await freshDatabase("logbatch"), 12);
  await migrate(pool);
  await pool.query("insert into workspaces (id, name) values ('ws_1', 'one')");
  await pool.query("insert into operations (id, workspace_id, kind, status, title) values ('op_1', 'ws_1', 'workflow', 'running', 't')");
});
afterAll(async () => {
  await pool?.end();
});

const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ type: "log" as const, payload: { stepId: "s", stream: "stdout" as const, line: `l${from + i}` } }));

describe("appendLogBatch", () => {
  it("stores a batch once however often, and however concurrently, it arrives; other events number on gap-free", async () => {
    expect(await appendLogBatch(pool, "op_1", "log:t#1:1", lines(1, 3))).toHaveLength(3);
    expect(await appendLogBatch(pool, "op_1", "log:t#1:1", lines(1, 3))).toHaveLength(0);
    await appendEventsNow(pool, "op_1", [{ type: "step", payload: { stepId: "s", attempt: 1, status: "running" } }]);
    // Ten deliveries of the next batch at once (a resend racing the original): one stores it.
    const stored = await Promise.all(Array.from({ length: 10 }, () => appendLogBatch(pool, "op_1", "log:t#1:2", lines(4, 2))));
    expect(stored.map((s) => s.length).sort()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(await appendLogBatch(pool, "op_1", "log:t#1:3", lines(6, 1))).toHaveLength(1);
    const all = await readEvents(pool, "op_1", 0);
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(all.map((e) => (e.type === "log" ? e.payload.line : e.type))).toEqual(["l1", "l2", "l3", "step", "l4", "l5", "l6"]);
  });
});
