// enqueueTask against a real database: one round trip places a new task on the least busy runner that may take
// it, and a second enqueue of the same task changes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../../test/helpers/database.ts";
import { createPool, inTransaction, type Pool } from "../db/pool.ts";
import { migrate } from "../db/migrate.ts";
import { enqueueTask } from "./dispatch.ts";

let pool: Pool;

beforeAll(async () => {
  pool = createPool(await freshDatabase("dispatch"), 4);
  await migrate(pool);
  await pool.query("insert into workspaces (id, name) values ('ws_a', 'a'), ('ws_b', 'b')");
  await pool.query(
    `insert into runners (id, workspace_id, name, slots, status, connected_at, last_seen_at) values
       ('rnr_busy', null, 'busy', 2, 'online', now() - interval '2 minutes', now()),
       ('rnr_idle', null, 'idle', 2, 'online', now() - interval '1 minute', now()),
       ('rnr_b', 'ws_b', 'b-only', 4, 'online', now(), now()),
       ('rnr_off', null, 'off', 4, 'offline', now(), now())`,
  );
});
afterAll(async () => {
  await pool?.end();
});

async function newRun(id: string, workspace: string, steps: string[]): Promise<void> {
  await pool.query("insert into operations (id, workspace_id, kind, status, title) values ($1, $2, 'run', 'running', 't')", [id, workspace]);
  await pool.query("insert into runs (id, workspace_id, workflow_name, source, definition, inputs) values ($1, $2, 'w', '', '{}', '{}')", [id, workspace]);
  for (const [i, step] of steps.entries()) {
    await pool.query("insert into run_steps (run_id, step_id, phase, position, status) values ($1, $2, 'main', $3, 'queued')", [id, step, i]);
  }
}

const enqueue = (runId: string, stepId: string, workspaceId: string, pinnedRunnerId?: string) =>
  inTransaction(pool, (c) => enqueueTask(c, { runId, stepId, attempt: 1, workspaceId, spec: { command: "true", env: {} }, ...(pinnedRunnerId ? { pinnedRunnerId } : {}) }));
const task = async (id: string) => (await pool.query("select status, runner_id, dispatch from tasks where id = $1", [id])).rows[0];
const events = async (op: string) => (await pool.query("select seq, type, payload from events where operation_id = $1 order by seq", [op])).rows;

describe("enqueueTask", () => {
  it("places a new task on the least busy online runner of its pool, marks its step running with one event", async () => {
    await newRun("run_1", "ws_a", ["one", "two"]);
    await pool.query("insert into operations (id, workspace_id, kind, status, title) values ('run_0', 'ws_a', 'run', 'running', 'x')");
    await pool.query("insert into tasks (id, operation_id, step_id, attempt, workspace_id, workflow_id, spec, status, runner_id, dispatch) values ('run_0:x:1', 'run_0', 'x', 1, 'ws_a', 'run_0', '{}', 'assigned', 'rnr_busy', 1)");
    const id = await enqueue("run_1", "one", "ws_a");
    expect(id).toBe("run_1:one:1");
    // rnr_busy holds a task already; rnr_b serves another workspace; rnr_off is offline.
    expect(await task(id)).toEqual({ status: "assigned", runner_id: "rnr_idle", dispatch: 1 });
    expect((await pool.query("select status, runner_id from run_steps where run_id = 'run_1' and step_id = 'one'")).rows[0]).toEqual({ status: "running", runner_id: "rnr_idle" });
    expect(await events("run_1")).toEqual([{ seq: 1, type: "step", payload: { stepId: "one", status: "running", attempt: 1, runner: "idle" } }]);
  });

  it("is idempotent: the same task enqueued again changes nothing", async () => {
    await enqueue("run_1", "one", "ws_a");
    expect(await task("run_1:one:1")).toEqual({ status: "assigned", runner_id: "rnr_idle", dispatch: 1 });
    expect(await events("run_1")).toHaveLength(1);
  });

  it("keeps a task pinned to a runner for that runner, and queued when no runner may take it", async () => {
    const pinned = await enqueue("run_1", "two", "ws_a", "rnr_busy");
    expect(await task(pinned)).toMatchObject({ status: "assigned", runner_id: "rnr_busy" });
    await newRun("run_2", "ws_a", ["only"]);
    const waiting = await enqueue("run_2", "only", "ws_a", "rnr_off");
    expect(await task(waiting)).toEqual({ status: "queued", runner_id: null, dispatch: 0 });
    expect(await events("run_2")).toEqual([]);
  });
});
