// lockRun, flushRun and finishRun (the one-round-trip functions of migrations 003, 009 and 018), called directly on a fresh database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, onlineRunner, pendingRun, workspace } from "../../test/helpers/core.ts";
import { inTransaction, type Pool } from "../db/pool.ts";
import { readEvents } from "../events/store.ts";
import { enqueueTask } from "../tasks/dispatch.ts";
import { finishRun, flushRun, lockRun } from "./store.ts";

let pool: Pool;
let ws: string;
beforeAll(async () => {
  pool = await coreDatabase("runstore");
  ws = await workspace(pool);
  await onlineRunner(pool, ws, 4);
});
afterAll(async () => {
  await pool?.end();
});

const TWO = "name: two\nsteps:\n  - id: a\n    run: echo a\n  - id: b\n    needs: a\n    run: echo b\n";
const lock = (runId: string, settle?: { taskId: string; dispatch: number; result: unknown }, start = false) =>
  inTransaction(pool, (c) => lockRun(c, runId, { settle, start }));
const shellTask = (runId: string, stepId: string) =>
  inTransaction(pool, (c) => enqueueTask(c, { runId, stepId, attempt: 1, workspaceId: ws, spec: { command: `echo ${stepId}`, env: {} } }));
const WIDE = "name: wide\nsteps:\n  - id: a\n    run: echo a\n  - id: b\n    run: echo b\n  - id: c\n    run: echo c\n";

describe("lockRun", () => {
  it("loads a run with its steps in order of definition, and null for a run that does not exist", async () => {
    const runId = await pendingRun(pool, ws, TWO, {});
    const run = await lock(runId);
    expect(run).toMatchObject({ id: runId, workspaceId: ws, status: "pending", cancelRequested: false, settled: null });
    expect(run && "steps" in run ? [...run.steps.keys()] : null).toEqual(["a", "b"]);
    expect(await lock("run_none")).toBeNull();
  });

  it("settles a report of the current dispatch in the same round trip, and comes back unchanged for a stale or repeated one", async () => {
    const runId = await pendingRun(pool, ws, TWO, {});
    const taskId = await inTransaction(pool, (c) => enqueueTask(c, { runId, stepId: "a", attempt: 1, workspaceId: ws, spec: { command: "echo a", env: {} } }));
    const stale = await lock(runId, { taskId, dispatch: 7, result: { status: "succeeded" } });
    expect(stale).toEqual({ id: runId, status: "pending", unchanged: true });
    expect((await pool.query("select status from tasks where id = $1", [taskId])).rows[0].status).toBe("assigned");
    const fresh = await lock(runId, { taskId, dispatch: 1, result: { status: "succeeded" } });
    expect(fresh).toMatchObject({ settled: { attempt: 1, spec: { command: "echo a" } } });
    expect((await pool.query("select status, result from tasks where id = $1", [taskId])).rows[0]).toEqual({ status: "done", result: { status: "succeeded" } });
    expect(await lock(runId, { taskId, dispatch: 1, result: { status: "succeeded" } })).toEqual({ id: runId, status: "pending", unchanged: true });
  });

  it("with a settled report, takes the run's other reported tasks under the same lock, and a stale report takes none", async () => {
    const runId = await pendingRun(pool, ws, WIDE, {});
    const [a, b, c] = [await shellTask(runId, "a"), await shellTask(runId, "b"), await shellTask(runId, "c")];
    await pool.query("update tasks set status = 'reported', result = '{\"status\": \"succeeded\", \"taskId\": \"x\"}' where id = $1", [b]);
    expect(await lock(runId, { taskId: c, dispatch: 9, result: {} })).toMatchObject({ unchanged: true });
    expect((await pool.query("select status from tasks where id = $1", [b])).rows[0].status).toBe("reported");
    const run = await lock(runId, { taskId: a, dispatch: 1, result: { status: "succeeded" } });
    expect(run).toMatchObject({ settled: { attempt: 1 }, reported: [{ attempt: 1, spec: { command: "echo b" }, result: { status: "succeeded", taskId: "x" } }] });
    expect((await pool.query("select id, status from tasks where operation_id = $1 order by id", [runId])).rows.map((r) => r.status)).toEqual(["done", "done", "assigned"]);
    expect(await lock(runId)).toMatchObject({ reported: [] });
  });

  it("with start, makes a pending run running once", async () => {
    const runId = await pendingRun(pool, ws, TWO, {});
    expect(await lock(runId)).toMatchObject({ status: "pending", started: false });
    expect(await lock(runId, undefined, true)).toMatchObject({ status: "running", started: true });
    expect(await lock(runId, undefined, true)).toMatchObject({ status: "running", started: false });
    expect((await pool.query("select status, started_at is not null as started from operations where id = $1", [runId])).rows[0]).toEqual({ status: "running", started: true });
  });

  it("reads nothing more of a finished run", async () => {
    const runId = await pendingRun(pool, ws, TWO, {});
    await pool.query("update operations set status = 'succeeded' where id = $1", [runId]);
    expect(await lock(runId)).toEqual({ id: runId, status: "succeeded", unchanged: true });
  });
});

describe("flushRun", () => {
  it("writes changed step rows and their events at once, numbered on gap-free", async () => {
    const runId = await pendingRun(pool, ws, TWO, {});
    const run = await lock(runId);
    if (!run || !("steps" in run)) throw new Error("run not loaded");
    const a = { ...run.steps.get("a")!, status: "succeeded" as const, attempt: 1, outputs: { x: "1" }, exit_code: 0 };
    await inTransaction(pool, (c) => flushRun(c, runId, [a], [{ type: "step", payload: { stepId: "a", attempt: 1, status: "succeeded" }, dedupeKey: "step:a:1:succeeded" }]));
    const row = (await pool.query("select status, attempt, outputs, exit_code, finished_at is not null as finished from run_steps where run_id = $1 and step_id = 'a'", [runId])).rows[0];
    expect(row).toEqual({ status: "succeeded", attempt: 1, outputs: { x: "1" }, exit_code: 0, finished: true });
    // Without rows it appends the events alone; a repeated dedupe key adds nothing.
    await inTransaction(pool, (c) => flushRun(c, runId, [], [{ type: "step", payload: { stepId: "a", attempt: 1, status: "succeeded" }, dedupeKey: "step:a:1:succeeded" }, { type: "log", payload: { stepId: "a", stream: "system", line: "x" } }]));
    expect((await readEvents(pool, runId, 0)).map((e) => [e.seq, e.type])).toEqual([[1, "status"], [2, "step"], [3, "log"]]);
  });
});

describe("finishRun", () => {
  it("settles nothing while a task of the run is queued or assigned, then the run, its outputs and final events at once", async () => {
    const runId = await pendingRun(pool, ws, TWO, {});
    const a = await shellTask(runId, "a");
    const events = [{ type: "status" as const, payload: { status: "succeeded" as const }, dedupeKey: "status:succeeded" }];
    const finish = () => inTransaction(pool, (c) => finishRun(c, runId, { outputs: { x: "1" }, status: "succeeded", error: null, events }));
    expect(await finish()).toBe(false);
    expect((await pool.query("select status from operations where id = $1", [runId])).rows[0].status).toBe("pending");
    await pool.query("update tasks set status = 'done' where id = $1", [a]);
    expect(await finish()).toBe(true);
    expect((await pool.query("select o.status, o.finished_at is not null as finished, r.outputs from operations o join runs r on r.id = o.id where o.id = $1", [runId])).rows[0]).toEqual({
      status: "succeeded",
      finished: true,
      outputs: { x: "1" },
    });
    expect((await readEvents(pool, runId, 0)).map((e) => e.type)).toEqual(["status", "step", "status"]);
  });
});
