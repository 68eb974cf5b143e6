// advanceRun called directly on a fresh database (the middle test tier: no engine, server or runner).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, flakyPool, operationState, pendingRun, workspace } from "../../test/helpers/core.ts";
import type { Pool } from "../db/pool.ts";
import { advanceRun } from "./advance.ts";

let pool: Pool;
beforeAll(async () => {
  pool = await coreDatabase("advance");
});
afterAll(async () => {
  await pool?.end();
});

describe("advanceRun and the database going away", () => {
  it("fails as a whole on a lost connection while it makes a step's task (it was the step's 'expression error'), and the retry starts the step", async () => {
    const ws = await workspace(pool, "replay:hello");
    // An llm step that names no model: making its task reads the workspace's default model.
    const runId = await pendingRun(pool, ws, "name: ask\nsteps:\n  - id: a\n    llm:\n      prompt: hi\n");
    const before = await operationState(pool, runId);
    const flaky = flakyPool(pool, /select default_model, step_network from workspaces/);
    await expect(advanceRun(flaky, runId, { type: "start" })).rejects.toThrow(/Connection terminated/);
    expect(flaky.failures).toBe(1);
    expect(await operationState(pool, runId)).toEqual(before);

    const outcome = await advanceRun(pool, runId, { type: "start" });
    expect(outcome).toMatchObject({ finished: false, status: "running", serverTasks: [`${runId}:a:1`] });
    const steps = (await pool.query("select status, error from run_steps where run_id = $1", [runId])).rows;
    expect(steps).toEqual([{ status: "running", error: null }]);
  });
});
