// How run workflows wait for work (src/runs/wake.ts), on a fresh database with real NOTIFY between two
// "processes" (two RunWakes, each with its own LISTEN connection), and the advance that applies stored results.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onlineRunner, pendingRun, workspace } from "../../test/helpers/core.ts";
import { freshDatabase } from "../../test/helpers/database.ts";
import { createPool, type Pool } from "../db/pool.ts";
import { Notifier } from "../events/notifier.ts";
import { createLogger } from "../logger.ts";
import { reportTaskResult } from "../tasks/store.ts";
import { advanceRun } from "./advance.ts";
import { announcingMessages, reportWakeKey, RunWakes, type RunWork } from "./wake.ts";
import type { WorkflowControl } from "../engine/control.ts";

let url: string;
let pool: Pool;
let ws: string;
let runner: string;
const notifiers: Notifier[] = [];

beforeAll(async () => {
  url = await freshDatabase("wake", { migrated: true });
  pool = createPool(url, 8);
  ws = await workspace(pool);
  runner = await onlineRunner(pool, ws, 8);
});
afterAll(async () => {
  for (const n of notifiers) await n.stop();
  await pool?.end();
});

/** A RunWakes as a process has it, listening on a connection of its own. */
async function listeningWakes(): Promise<RunWakes> {
  const notifier = new Notifier(url, createLogger("silent"));
  notifiers.push(notifier);
  await notifier.start();
  const wakes = new RunWakes(pool);
  await wakes.listen(notifier);
  return wakes;
}

const chain = `name: w\nsteps:\n  - id: a\n    run: "true"\n  - id: b\n    needs: [a]\n    run: "true"\n`;

/** A run whose first step's task is assigned to the runner; returns the run and that task. */
async function runWithTask(): Promise<{ runId: string; taskId: string }> {
  const runId = await pendingRun(pool, ws, chain);
  await advanceRun(pool, runId, { type: "start" });
  const { rows } = await pool.query<{ id: string }>("select id from tasks where operation_id = $1 and step_id = 'a'", [runId]);
  return { runId, taskId: rows[0]!.id };
}

const report = (taskId: string) =>
  reportTaskResult(pool, { taskId, dispatch: 1, runnerId: runner, workspaceId: ws, result: { taskId, dispatch: 1, status: "succeeded", exitCode: 0, outputs: {}, durationMs: 1 } });

/** Whether `p` settles within `ms` (the promise's value, or "pending"). */
const within = <T>(p: Promise<T>, ms: number): Promise<T | "pending"> => Promise.race([p, new Promise<"pending">((r) => setTimeout(() => r("pending"), ms))]);

describe("RunWakes", () => {
  it("finds a result stored before the wait began, without any wake (as after a crash)", async () => {
    const wakes = new RunWakes(pool);
    const { runId, taskId } = await runWithTask();
    await report(taskId);
    expect(await wakes.waitForWork(runId, 60_000)).toBe("reports");
  });

  it("ends with timeout when nothing arrives", async () => {
    const wakes = new RunWakes(pool);
    const { runId } = await runWithTask();
    expect(await wakes.waitForWork(runId, 50)).toBe("timeout");
  });

  it("is woken by the NOTIFY of a result a gateway in another process stored", async () => {
    const here = await listeningWakes();
    const { runId, taskId } = await runWithTask();
    const waiting = here.waitForWork(runId, 60_000);
    await new Promise((r) => setTimeout(r, 50)); // the wait has looked at the table and found nothing
    await report(taskId);
    expect(await waiting).toBe("reports");
  });

  it("is woken by a message announced in another process, and ignores the echo of a key it was woken for", async () => {
    const [here, there] = [await listeningWakes(), await listeningWakes()];
    const { runId } = await runWithTask();
    const sent: string[] = [];
    const control: WorkflowControl = { start: async () => {}, send: async (id) => void sent.push(id), cancel: async () => {}, status: async () => null };
    const first = here.waitForWork(runId, 60_000);
    await new Promise((r) => setTimeout(r, 50));
    await announcingMessages(control, there).send(runId, { type: "cancel" }, `cancel:${runId}`);
    expect(sent).toEqual([runId]);
    expect(await first).toBe("messages");
    // The same key again (the NOTIFY echo of a wake given in process) is no new work.
    const second = here.waitForWork(runId, 300);
    here.wake(runId, `message:cancel:${runId}`);
    expect(await second).toBe("timeout");
    // A message to another kind's workflow (it receives with DBOS.recv) is not announced.
    const job = here.waitForWork("job_x:1", 300);
    await new Promise((r) => setTimeout(r, 50));
    await announcingMessages(control, there).send("job_x:1", { type: "cancel" }, "cancel:job_x:1");
    expect(await job).toBe("timeout");
  });

  it("a local wake reaches the wait at once", async () => {
    const wakes = new RunWakes(pool);
    const { runId, taskId } = await runWithTask();
    const waiting = wakes.waitForWork(runId, 60_000);
    await new Promise((r) => setTimeout(r, 50));
    wakes.wake(runId, reportWakeKey(taskId, 1));
    expect(await waiting).toBe("reports");
  });

  it("after close, waits never settle (nothing is recorded for a stopped engine)", async () => {
    const wakes = new RunWakes(pool);
    const { runId, taskId } = await runWithTask();
    const before = wakes.waitForWork(runId, 100);
    await new Promise((r) => setTimeout(r, 30));
    wakes.close();
    wakes.wake(runId, reportWakeKey(taskId, 1));
    const after = wakes.waitForWork(runId, 10);
    expect(await within<RunWork>(before, 300)).toBe("pending");
    expect(await within<RunWork>(after, 100)).toBe("pending");
  });
});

describe("advance with stored results", () => {
  it("applies every reported task of the run and starts what became ready", async () => {
    const { runId, taskId } = await runWithTask();
    await report(taskId);
    const outcome = await advanceRun(pool, runId, { type: "reports" });
    expect(outcome).toMatchObject({ finished: false, status: "running" });
    const { rows } = await pool.query("select step_id, status from run_steps where run_id = $1 order by step_id", [runId]);
    expect(rows).toEqual([
      { step_id: "a", status: "succeeded" },
      { step_id: "b", status: "running" },
    ]);
    // Taken: a second wake finds nothing to apply and changes nothing.
    expect(await pool.query("select count(*)::int as n from tasks where operation_id = $1 and status = 'reported'", [runId]).then((r) => r.rows[0].n)).toBe(0);
    await advanceRun(pool, runId, { type: "reports" });
    expect((await pool.query("select step_id, status from run_steps where run_id = $1 order by step_id", [runId])).rows).toEqual(rows);
  });
});
