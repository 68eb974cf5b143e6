// Placing and claiming tasks, called directly on a fresh database (the middle test tier).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, onlineRunner, pendingRun, workspace } from "../../test/helpers/core.ts";
import { inTransaction, type Pool } from "../db/pool.ts";
import { readEvents } from "../events/store.ts";
import { claimQueuedTasks, enqueueTask } from "./dispatch.ts";
import { reportTaskResult } from "./store.ts";

let pool: Pool;
beforeAll(async () => {
  pool = await coreDatabase("dispatch");
});
afterAll(async () => {
  await pool?.end();
});

const spec = { command: "true", env: {} };
const enqueue = (t: Parameters<typeof enqueueTask>[1]) => inTransaction(pool, (c) => enqueueTask(c, t));
/** How many tasks a claim for the runner took (all it holds are returned when it took any; it held none before). */
const claim = async (runnerId: string) => (await inTransaction(pool, (c) => claimQueuedTasks(c, runnerId))).length;
const tasksOf = async (runId: string) =>
  (await pool.query<{ step_id: string; status: string; runner_id: string | null; dispatch: number }>("select step_id, status, runner_id, dispatch from tasks where operation_id = $1 order by step_id", [runId])).rows;

/** A pending run with steps s1..sN, for its task rows to belong to. */
async function runWithSteps(ws: string, n: number): Promise<string> {
  const steps = Array.from({ length: n }, (_, i) => `  - id: s${i + 1}\n    run: "true"\n`).join("");
  return pendingRun(pool, ws, `name: w\nsteps:\n${steps}`);
}

describe("enqueueTask and placement", () => {
  it("is idempotent: the same task twice is one row, placed once, with one running event", async () => {
    const ws = await workspace(pool);
    const runner = await onlineRunner(pool, ws, 2);
    const runId = await runWithSteps(ws, 1);
    const t = { runId, stepId: "s1", attempt: 1, workspaceId: ws, spec };
    expect(await enqueue(t)).toBe(`${runId}:s1:1`);
    expect(await enqueue(t)).toBe(`${runId}:s1:1`);
    expect(await tasksOf(runId)).toEqual([{ step_id: "s1", status: "assigned", runner_id: runner, dispatch: 1 }]);
    const running = (await readEvents(pool, runId, 0)).filter((e) => e.type === "step" && e.payload.status === "running");
    expect(running).toHaveLength(1);
    expect((await pool.query("select status, runner_id from run_steps where run_id = $1", [runId])).rows).toEqual([{ status: "running", runner_id: runner }]);
  });

  it("places on the least busy runner with a free slot, and leaves a task queued when every slot is taken", async () => {
    const ws = await workspace(pool);
    const [r1, r2] = [await onlineRunner(pool, ws, 2), await onlineRunner(pool, ws, 1)];
    const runId = await runWithSteps(ws, 4);
    for (const s of ["s1", "s2", "s3", "s4"]) await enqueue({ runId, stepId: s, attempt: 1, workspaceId: ws, spec });
    const placed = await tasksOf(runId);
    expect(placed.filter((t) => t.runner_id === r1)).toHaveLength(2);
    expect(placed.filter((t) => t.runner_id === r2)).toHaveLength(1);
    expect(placed.filter((t) => t.status === "queued")).toEqual([{ step_id: "s4", status: "queued", runner_id: null, dispatch: 0 }]);
  });
});

describe("claimQueuedTasks", () => {
  it("takes the oldest tasks it may serve, up to its free slots: never another runner's pinned task, another workspace's, or a cancelled run's main step", async () => {
    const [ws, other] = [await workspace(pool), await workspace(pool)];
    const runId = await runWithSteps(ws, 4);
    const otherRun = await runWithSteps(other, 1);
    const cancelledRun = await runWithSteps(ws, 1);
    const elsewhere = await onlineRunner(pool, ws, 1);
    await pool.query("update runners set status = 'offline' where id = $1", [elsewhere]);
    // No runner is online yet: everything waits.
    await enqueue({ runId, stepId: "s1", attempt: 1, workspaceId: ws, spec, pinnedRunnerId: elsewhere });
    for (const s of ["s2", "s3", "s4"]) await enqueue({ runId, stepId: s, attempt: 1, workspaceId: ws, spec });
    await enqueue({ runId: otherRun, stepId: "s1", attempt: 1, workspaceId: other, spec });
    await enqueue({ runId: cancelledRun, stepId: "s1", attempt: 1, workspaceId: ws, spec });
    await pool.query("update runs set cancel_requested_at = now() where id = $1", [cancelledRun]);

    const runner = await onlineRunner(pool, ws, 2);
    // What it claimed comes back as the gateway sends it.
    const claimed = await inTransaction(pool, (c) => claimQueuedTasks(c, runner));
    expect(claimed.map((t) => [t.message.runId, t.message.stepId, t.message.dispatch, t.workflowId])).toEqual([
      [runId, "s2", 1, runId],
      [runId, "s3", 1, runId],
    ]);
    expect((await tasksOf(runId)).map((t) => [t.step_id, t.status, t.runner_id])).toEqual([
      ["s1", "queued", null],
      ["s2", "assigned", runner],
      ["s3", "assigned", runner],
      ["s4", "queued", null],
    ]);
    // Each claimed task's step is running on it, with one `running` event.
    expect((await pool.query("select step_id, status, runner_id from run_steps where run_id = $1 and status = 'running' order by step_id", [runId])).rows).toEqual([
      { step_id: "s2", status: "running", runner_id: runner },
      { step_id: "s3", status: "running", runner_id: runner },
    ]);
    const running = (await readEvents(pool, runId, 0)).filter((e) => e.type === "step" && e.payload.status === "running");
    expect(running.map((e) => (e.payload as { stepId: string }).stepId)).toEqual(["s2", "s3"]);
    expect(await claim(runner)).toBe(0); // no free slot
    expect((await tasksOf(otherRun))[0]!.status).toBe("queued");
    expect((await tasksOf(cancelledRun))[0]!.status).toBe("queued");
  });

  it("counts a task whose result has arrived (not settled yet) as a free slot", async () => {
    const ws = await workspace(pool);
    const runId = await runWithSteps(ws, 2);
    const runner = await onlineRunner(pool, ws, 1);
    const running = await enqueue({ runId, stepId: "s1", attempt: 1, workspaceId: ws, spec });
    await enqueue({ runId, stepId: "s2", attempt: 1, workspaceId: ws, spec });
    expect(await claim(runner)).toBe(0); // its one slot is busy
    const claimed = await inTransaction(pool, (c) => claimQueuedTasks(c, runner, [running]));
    expect(claimed.map((t) => t.message.stepId)).toEqual(["s2"]); // the finishing task is not sent again
    expect((await tasksOf(runId)).map((t) => [t.step_id, t.status])).toEqual([
      ["s1", "assigned"],
      ["s2", "assigned"],
    ]);
  });

  it("never gives one task to two runners claiming at once (property: many runners, many tasks)", async () => {
    const ws = await workspace(pool);
    const runId = await runWithSteps(ws, 30);
    for (let i = 1; i <= 30; i++) await enqueue({ runId, stepId: `s${i}`, attempt: 1, workspaceId: ws, spec });
    const runners = await Promise.all(Array.from({ length: 8 }, () => onlineRunner(pool, ws, 3)));
    const claimed = await Promise.all(runners.map((r) => claim(r)));
    const tasks = await tasksOf(runId);
    expect(claimed.reduce((a, b) => a + b, 0)).toBe(24);
    expect(tasks.filter((t) => t.status === "assigned")).toHaveLength(24);
    for (const r of runners) expect(tasks.filter((t) => t.runner_id === r)).toHaveLength(3);
    expect(tasks.every((t) => t.dispatch === (t.status === "assigned" ? 1 : 0))).toBe(true);
  });
});

describe("reportTaskResult", () => {
  it("records only the holder's result at that dispatch, and says whether a task this runner may claim waits", async () => {
    const [ws, other] = [await workspace(pool), await workspace(pool)];
    const runner = await onlineRunner(pool, ws, 1);
    const runId = await runWithSteps(ws, 2);
    const otherRun = await runWithSteps(other, 1);
    const first = await enqueue({ runId, stepId: "s1", attempt: 1, workspaceId: ws, spec });
    await enqueue({ runId: otherRun, stepId: "s1", attempt: 1, workspaceId: other, spec });
    const report = (taskId: string, dispatch: number, by = runner) => reportTaskResult(pool, { taskId, dispatch, runnerId: by, workspaceId: ws, result: { status: "succeeded" } });
    expect(await report(first, 2)).toBeNull(); // a stale dispatch
    expect(await report(first, 1, "rnr_other")).toBeNull(); // not its holder
    // Only another workspace's task waits: nothing this runner may take.
    expect(await report(first, 1)).toEqual({ workflowId: runId, claimable: false, ofRun: true });
    expect(await report(first, 1)).toBeNull(); // already reported
    const second = await enqueue({ runId, stepId: "s2", attempt: 1, workspaceId: ws, spec });
    await enqueue({ runId, stepId: "s3", attempt: 1, workspaceId: ws, spec });
    expect(await report(second, 1)).toEqual({ workflowId: runId, claimable: true, ofRun: true });
  });
});
