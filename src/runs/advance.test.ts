// advanceRun called directly on a fresh database (the middle test tier: no engine, server or runner process).
// A runner row is online, so tasks are assigned to it as they would be; results are the messages a runner's
// report becomes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, flakyPool, onlineRunner, operationState, pendingRun, workspace } from "../../test/helpers/core.ts";
import type { Pool } from "../db/pool.ts";
import { StoredEventSchema } from "../events/catalogue.ts";
import { readEvents } from "../events/store.ts";
import type { RunMessage, TaskResult } from "../tasks/messages.ts";
import { advanceRun } from "./advance.ts";
import { TaskHandoff, type PlacedTask } from "../tasks/handoff.ts";

let pool: Pool;
let ws: string;
beforeAll(async () => {
  pool = await coreDatabase("advance");
  ws = await workspace(pool, "replay:hello");
  await onlineRunner(pool, ws, 16);
});
afterAll(async () => {
  await pool?.end();
});

/** The run's steps by id: status, attempt, outputs, error. */
async function steps(runId: string): Promise<Record<string, { status: string; attempt: number; outputs: Record<string, string>; error: string | null }>> {
  const { rows } = await pool.query("select step_id, status, attempt, outputs, error from run_steps where run_id = $1", [runId]);
  return Object.fromEntries(rows.map((r) => [r.step_id, { status: r.status, attempt: r.attempt, outputs: r.outputs, error: r.error }]));
}

/** The live task of a step (its latest attempt), as the runner holds it. */
async function task(runId: string, stepId: string): Promise<{ id: string; dispatch: number; attempt: number; status: string; spec: { command?: string; delayMs?: number } }> {
  const { rows } = await pool.query("select id, dispatch, attempt, status, spec from tasks where operation_id = $1 and step_id = $2 order by attempt desc limit 1", [runId, stepId]);
  if (!rows[0]) throw new Error(`no task for ${stepId}`);
  return rows[0];
}

/** The result message of a step's live task. */
async function result(runId: string, stepId: string, status: TaskResult["status"], outputs: Record<string, string> = {}, exitCode: number | null = status === "succeeded" ? 0 : 1): Promise<RunMessage> {
  const t = await task(runId, stepId);
  return { type: "result", taskId: t.id, dispatch: t.dispatch, status, exitCode, outputs, durationMs: 5 };
}

const report = async (runId: string, stepId: string, status: TaskResult["status"], outputs: Record<string, string> = {}) =>
  advanceRun(pool, runId, await result(runId, stepId, status, outputs));

/** Every event of the run parses as the catalogue's. */
async function expectCatalogued(runId: string): Promise<void> {
  for (const e of await readEvents(pool, runId, 0)) expect(StoredEventSchema.safeParse(e).success, JSON.stringify(e)).toBe(true);
}

const DAG = `
name: dag
inputs:
  who: { type: string, default: world }
steps:
  - id: a
    run: echo hello
    outputs: [greeting]
  - id: b
    needs: a
    run: echo "\${{ steps.a.outputs.greeting }} \${{ inputs.who }}"
  - id: c
    needs: a
    if: \${{ inputs.who == 'nobody' }}
    run: echo skipped
teardown:
  - id: bye
    run: echo bye
outputs:
  said: \${{ steps.a.outputs.greeting }}
`;

describe("advanceRun", () => {
  it("starts what is ready, interpolates outputs into the next step, skips an `if` that is false, runs teardown last, and settles the run", async () => {
    const runId = await pendingRun(pool, ws, DAG);
    expect(await advanceRun(pool, runId, { type: "start" })).toMatchObject({ finished: false, status: "running" });
    expect(await steps(runId)).toMatchObject({ a: { status: "running", attempt: 1 }, b: { status: "pending" }, bye: { status: "pending" } });
    await report(runId, "a", "succeeded", { greeting: "hi" });
    expect((await task(runId, "b")).spec.command).toBe('echo "hi world"');
    expect(await steps(runId)).toMatchObject({ a: { status: "succeeded", outputs: { greeting: "hi" } }, b: { status: "running" }, c: { status: "skipped" }, bye: { status: "pending" } });
    await report(runId, "b", "succeeded");
    expect((await steps(runId)).bye?.status).toBe("running");
    expect(await report(runId, "bye", "succeeded")).toEqual({ finished: true, status: "succeeded" });
    const op = (await pool.query("select o.status, o.error, r.outputs from operations o join runs r on r.id = o.id where o.id = $1", [runId])).rows[0];
    expect(op).toEqual({ status: "succeeded", error: null, outputs: { said: "hi" } });
    const events = await readEvents(pool, runId, 0);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded", outputs: { said: "hi" }, error: null } });
    await expectCatalogued(runId);
  });

  it("fails a step past its retries: what needs it is skipped, the rest and teardown still run, the run fails naming it", async () => {
    const runId = await pendingRun(pool, ws, "name: f\nsteps:\n  - id: bad\n    retry: { max: 1, backoff: 250ms }\n    run: exit 3\n  - id: after\n    needs: bad\n    run: echo never\n  - id: other\n    run: echo fine\nteardown:\n  - id: clean\n    run: echo clean\n");
    await advanceRun(pool, runId, { type: "start" });
    await advanceRun(pool, runId, await result(runId, "bad", "failed", {}, 3));
    // A retry is a new attempt, after the backoff, said so in an event.
    expect(await task(runId, "bad")).toMatchObject({ attempt: 2, status: "assigned", spec: { delayMs: 250 } });
    const retrying = (await readEvents(pool, runId, 0)).find((e) => e.type === "step" && e.payload.status === "retrying");
    expect(retrying?.payload).toMatchObject({ stepId: "bad", attempt: 1, nextAttempt: 2, delayMs: 250, error: "exited with code 3" });
    await advanceRun(pool, runId, await result(runId, "bad", "failed", {}, 3));
    await report(runId, "other", "succeeded");
    expect(await steps(runId)).toMatchObject({ bad: { status: "failed", attempt: 2, error: "exited with code 3" }, after: { status: "skipped" }, other: { status: "succeeded" }, clean: { status: "running" } });
    expect(await report(runId, "clean", "succeeded")).toEqual({ finished: true, status: "failed" });
    expect((await pool.query("select error from operations where id = $1", [runId])).rows[0].error).toBe("step bad failed: exited with code 3");
    await expectCatalogued(runId);
  });

  it("runs a step whose runner was lost again as a new attempt (one re-run always), then fails it", async () => {
    const runId = await pendingRun(pool, ws, "name: l\nsteps:\n  - id: a\n    run: sleep 9\n");
    await advanceRun(pool, runId, { type: "start" });
    const first = await task(runId, "a");
    await advanceRun(pool, runId, { type: "lost", taskId: first.id, dispatch: first.dispatch, reason: "gone" });
    expect(await task(runId, "a")).toMatchObject({ attempt: 2, status: "assigned" });
    const lost = (await readEvents(pool, runId, 0)).filter((e) => e.type === "step" && e.payload.status === "lost");
    expect(lost.map((e) => e.payload)).toEqual([expect.objectContaining({ stepId: "a", attempt: 1, nextAttempt: 2, reason: "runner lost (gone)" })]);
    const second = await task(runId, "a");
    expect(await advanceRun(pool, runId, { type: "lost", taskId: second.id, dispatch: second.dispatch, reason: "gone again" })).toEqual({ finished: true, status: "failed" });
    expect((await steps(runId)).a).toMatchObject({ status: "failed", error: "runner lost (gone again) during attempt 2; no retries left" });
    await expectCatalogued(runId);
  });

  it("cancels: running main steps are stopped, waiting ones never start, teardown runs, the run ends cancelled", async () => {
    const runId = await pendingRun(pool, ws, "name: c\nsteps:\n  - id: a\n    run: sleep 9\n  - id: b\n    needs: a\n    run: echo never\nteardown:\n  - id: t\n    run: echo t\n");
    await advanceRun(pool, runId, { type: "start" });
    await pool.query("update runs set cancel_requested_at = now() where id = $1", [runId]);
    await advanceRun(pool, runId, { type: "cancel" });
    expect(await steps(runId)).toMatchObject({ a: { status: "cancelled" }, b: { status: "cancelled" }, t: { status: "running" } });
    expect((await task(runId, "a")).status).toBe("cancelled");
    expect(await report(runId, "t", "succeeded")).toEqual({ finished: true, status: "cancelled" });
    const statuses = (await readEvents(pool, runId, 0)).flatMap((e) => (e.type === "status" ? [e.payload.status] : []));
    expect(statuses).toEqual(["pending", "running", "cancelling", "cancelled"]);
    await expectCatalogued(runId);
  });
});

describe("advanceRun applied twice to the same message", () => {
  /** Apply `msg` once, snapshot, apply it again: nothing may differ. */
  async function twice(runId: string, msg: RunMessage | (() => Promise<RunMessage>)): Promise<void> {
    const m = typeof msg === "function" ? await msg() : msg;
    await advanceRun(pool, runId, m);
    const once = await operationState(pool, runId);
    await advanceRun(pool, runId, m);
    expect(await operationState(pool, runId)).toEqual(once);
  }

  it("changes nothing the second time, whatever the message: identical rows and events", async () => {
    const runId = await pendingRun(pool, ws, "name: t\nsteps:\n  - id: a\n    retry: { max: 1 }\n    run: x\n  - id: b\n    run: y\n  - id: ask\n    llm: { prompt: hi }\n  - id: c\n    needs: [a, b]\n    run: z\nteardown:\n  - id: td\n    run: w\n");
    await twice(runId, { type: "start" });
    await twice(runId, () => result(runId, "a", "failed"));
    const b = await task(runId, "b");
    await twice(runId, { type: "lost", taskId: b.id, dispatch: b.dispatch, reason: "gone" });
    await twice(runId, { type: "tick" });
    await twice(runId, () => result(runId, "a", "succeeded"));
    await twice(runId, () => result(runId, "ask", "succeeded", { text: "ok" }));
    await twice(runId, () => result(runId, "b", "succeeded"));
    await pool.query("update runs set cancel_requested_at = now() where id = $1", [runId]);
    await twice(runId, { type: "cancel" });
    await twice(runId, () => result(runId, "td", "succeeded"));
    expect((await pool.query("select status from operations where id = $1", [runId])).rows[0].status).toBe("cancelled");
    await expectCatalogued(runId);
  });
});

describe("advanceRun and the database going away", () => {
  it("fails as a whole on a lost connection while it makes a step's task (it was the step's 'expression error'), and the retry starts the step", async () => {
    // An llm step that names no model: making its task reads the workspace's default model.
    const runId = await pendingRun(pool, ws, "name: ask\nsteps:\n  - id: a\n    llm:\n      prompt: hi\n");
    const before = await operationState(pool, runId);
    const flaky = flakyPool(pool, /select default_model, step_network from workspaces/);
    await expect(advanceRun(flaky, runId, { type: "start" })).rejects.toThrow(/Connection terminated/);
    expect(flaky.failures).toBe(1);
    expect(await operationState(pool, runId)).toEqual(before);

    const outcome = await advanceRun(pool, runId, { type: "start" });
    expect(outcome).toMatchObject({ finished: false, status: "running", serverTasks: [{ id: `${runId}:a:1`, kind: "llm" }] });
    expect((await steps(runId)).a).toMatchObject({ status: "running", error: null });
  });
});

describe("advanceRun and this process's runner gateway", () => {
  it("hands it the tasks it placed once its transaction committed, and none when it rolled back", async () => {
    const runId = await pendingRun(pool, ws, "name: w\nsteps:\n  - id: a\n    run: echo a\n  - id: b\n    run: echo b\n");
    const handed: PlacedTask[] = [];
    const handoff = new TaskHandoff();
    handoff.serve((t) => handed.push(t));
    await expect(advanceRun(flakyPool(pool, /^commit$/), runId, { type: "start" }, handoff)).rejects.toThrow(/Connection terminated/);
    expect(handed).toEqual([]);

    await advanceRun(pool, runId, { type: "start" }, handoff);
    const { rows } = await pool.query("select id, dispatch, runner_id, workflow_id, spec from tasks where operation_id = $1 order by id", [runId]);
    expect(handed.map((t) => ({ id: t.message.taskId, dispatch: t.message.dispatch, runner_id: t.runnerId, workflow_id: t.workflowId, spec: t.message.spec }))).toEqual(rows);
    expect(handed.map((t) => t.message.stepId)).toEqual(["a", "b"]);
  });
});

describe("advanceRun and http and wait steps", () => {
  it("starts them as tasks the server runs (no runner, no slot), which a tick finds running rather than lost", async () => {
    const runId = await pendingRun(pool, ws, "name: t\nsteps:\n  - id: call\n    http: { url: /projects }\n  - id: w\n    wait: { operation: run_x }\n");
    const expected = [
      { id: `${runId}:call:1`, kind: "http" },
      { id: `${runId}:w:1`, kind: "wait" },
    ];
    expect((await advanceRun(pool, runId, { type: "start" })).serverTasks).toEqual(expected);
    const { rows } = await pool.query("select step_id, status, runner_id, spec->>'kind' as kind from tasks where operation_id = $1 order by step_id", [runId]);
    expect(rows).toEqual([
      { step_id: "call", status: "assigned", runner_id: null, kind: "http" },
      { step_id: "w", status: "assigned", runner_id: null, kind: "wait" },
    ]);
    const tick = await advanceRun(pool, runId, { type: "tick" });
    expect(tick.serverTasks?.slice().sort((a, b) => a.id.localeCompare(b.id))).toEqual(expected);
    expect(await steps(runId)).toMatchObject({ call: { status: "running", attempt: 1 }, w: { status: "running", attempt: 1 } });
  });
});
