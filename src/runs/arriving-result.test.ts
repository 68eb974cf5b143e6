// A runner's result applied to its run by the server that receives it (src/runs/arriving-result.ts), on a fresh
// database with no engine: the next task is placed and handed over, the run finishes, its workflow's wait is
// woken with the status, and a repeat of the result changes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flakyPool, onlineRunner, operationState, pendingRun, workspace } from "../../test/helpers/core.ts";
import { createLogger } from "../logger.ts";
import { Metrics } from "../server/metrics.ts";
import { takeResultFrame } from "../server/runner-frames.ts";
import { freshDatabase } from "../../test/helpers/database.ts";
import { createPool, type Pool } from "../db/pool.ts";
import type { WorkflowControl } from "../engine/control.ts";
import { readEvents } from "../events/store.ts";
import { TaskHandoff, type PlacedTask } from "../tasks/handoff.ts";
import type { TaskResult } from "../tasks/messages.ts";
import { advanceRun } from "./advance.ts";
import { applyArrivingResult, runOfTask, type ArrivingResults } from "./arriving-result.ts";
import { RunWakes } from "./wake.ts";

let pool: Pool;
let ws: string;
let runner: string;
beforeAll(async () => {
  pool = createPool(await freshDatabase("arriving", { migrated: true }), 8);
  ws = await workspace(pool);
  runner = await onlineRunner(pool, ws, 4);
});
afterAll(async () => {
  await pool?.end();
});

/** Nothing here may start a workflow: the run in these tests has no server-run step. */
const noWorkflows: WorkflowControl = {
  start: async (name) => {
    throw new Error(`unexpected start of ${name}`);
  },
  send: async () => undefined,
  cancel: async () => undefined,
  status: async () => null,
};

/** The live task of a step, as its runner holds it. */
async function task(runId: string, stepId: string): Promise<{ id: string; dispatch: number; status: string; runner_id: string | null }> {
  const { rows } = await pool.query("select id, dispatch, status, runner_id from tasks where operation_id = $1 and step_id = $2 order by attempt desc limit 1", [runId, stepId]);
  return rows[0];
}

const succeeded = (t: { id: string; dispatch: number }, outputs: Record<string, string> = {}): TaskResult => ({
  taskId: t.id,
  dispatch: t.dispatch,
  status: "succeeded",
  exitCode: 0,
  outputs,
  durationMs: 3,
});

describe("applyArrivingResult", () => {
  it("settles the task, places the next step on a runner and hands it to this process's gateway, without the run's workflow", async () => {
    const runId = await pendingRun(pool, ws, 'name: c\nsteps:\n  - id: a\n    run: "true"\n    outputs: [x]\n  - id: b\n    needs: a\n    run: echo ${{ steps.a.outputs.x }}\n');
    await advanceRun(pool, runId, { type: "start" });
    const handed: PlacedTask[] = [];
    const handoff = new TaskHandoff();
    handoff.serve((t) => handed.push(t));
    const d: ArrivingResults = { pool, workflows: noWorkflows, wakes: new RunWakes(pool), handoff };
    const a = await task(runId, "a");

    const outcome = await applyArrivingResult(d, runId, { runnerId: runner, workspaceId: ws }, succeeded(a, { x: "42" }));
    expect(outcome).toMatchObject({ finished: false, status: "running", claimable: false });
    expect(outcome.stale).toBeUndefined();
    expect(await task(runId, "a")).toMatchObject({ status: "done" });
    expect(await task(runId, "b")).toMatchObject({ status: "assigned", runner_id: runner });
    expect(handed.map((t) => [t.message.stepId, t.runnerId, t.message.spec.command])).toEqual([["b", runner, "echo 42"]]);

    // The runner sends it again (no ack came): identical rows and events, nothing handed over twice.
    const once = await operationState(pool, runId);
    expect(await applyArrivingResult(d, runId, { runnerId: runner, workspaceId: ws }, succeeded(a, { x: "42" }))).toMatchObject({ stale: true, finished: false });
    expect(await operationState(pool, runId)).toEqual(once);
    expect(handed).toHaveLength(1);
  });

  it("finishes the run and wakes its workflow's wait with the status; a wait that begins later finds it finished at once", async () => {
    const runId = await pendingRun(pool, ws, 'name: one\nsteps:\n  - id: a\n    run: "true"\n');
    await advanceRun(pool, runId, { type: "start" });
    const wakes = new RunWakes(pool);
    const waiting = wakes.waitForWork(runId, 10_000);
    const outcome = await applyArrivingResult({ pool, workflows: noWorkflows, wakes }, runId, { runnerId: runner, workspaceId: ws }, succeeded(await task(runId, "a")));
    expect(outcome).toMatchObject({ finished: true, status: "succeeded" });
    expect(await waiting).toEqual({ finished: "succeeded" });
    expect(await new RunWakes(pool).waitForWork(runId, 10_000)).toEqual({ finished: "succeeded" });
    const events = await readEvents(pool, runId, 0);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded" } });
  });

  it("tells whether a task waits that the reporting runner could now claim", async () => {
    const busy = await onlineRunner(pool, ws, 1);
    await pool.query("update runners set status = 'offline' where id = $1", [runner]);
    try {
      // Two runs on a one-slot runner: the second's task waits in the queue while the first's runs.
      const first = await pendingRun(pool, ws, 'name: q1\nsteps:\n  - id: a\n    run: "true"\n');
      const second = await pendingRun(pool, ws, 'name: q2\nsteps:\n  - id: a\n    run: "true"\n');
      await advanceRun(pool, first, { type: "start" });
      await advanceRun(pool, second, { type: "start" });
      expect((await task(second, "a")).status).toBe("queued");
      const outcome = await applyArrivingResult({ pool, workflows: noWorkflows, wakes: new RunWakes(pool) }, first, { runnerId: busy, workspaceId: ws }, succeeded(await task(first, "a")));
      expect(outcome).toMatchObject({ finished: true, claimable: true });
    } finally {
      await pool.query("update runners set status = 'offline' where id = $1", [busy]);
      await pool.query("update runners set status = 'online' where id = $1", [runner]);
    }
  });

  it("at the gateway: a result that cannot be applied (the database blinked) is stored for the run's workflow instead", async () => {
    const runId = await pendingRun(pool, ws, 'name: f\nsteps:\n  - id: a\n    run: "true"\n');
    await advanceRun(pool, runId, { type: "start" });
    const a = await task(runId, "a");
    const wakes = new RunWakes(pool);
    const h = { pool: flakyPool(pool, /shipyard_settle_run_result/), workflows: noWorkflows, wakes, metrics: new Metrics(pool), log: createLogger("silent") };
    await takeResultFrame(h, { runnerId: a.runner_id!, workspaceId: ws }, { type: "result", ...succeeded(a) });
    expect(h.pool.failures).toBe(1);
    expect(await task(runId, "a")).toMatchObject({ status: "reported" });
    expect(await wakes.waitForWork(runId, 10_000)).toBe("reports");
  });

  it("knows a run's task by its id", () => {
    expect(runOfTask("run_01abc:build:2")).toBe("run_01abc");
    expect(runOfTask("job_01abc:prepare:1")).toBeNull();
  });
});
