import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../../test/helpers/database.ts";
import { migrate } from "../db/migrate.ts";
import { createPool, type Pool } from "../db/pool.ts";
import { createLogger } from "../logger.ts";
import { WorkerLiveness } from "./liveness.ts";
import { getWorker } from "./worker-store.ts";

// Fake workers: real rows, locks and connections on a real database; the DBOS recovery is a recorded call.
const DEAD_AFTER_MS = 600;

let url: string;
let pool: Pool;
const live: WorkerLiveness[] = [];

beforeAll(async () => {
  url = await freshDatabase("workers");
  pool = createPool(url, 4);
  await migrate(pool);
});
afterEach(async () => {
  await Promise.all(live.splice(0).map((w) => w.stop()));
  await pool.query("delete from workers");
});
afterAll(async () => {
  await pool?.end();
});

interface FakeWorker {
  liveness: WorkerLiveness;
  recovered: string[];
  fenced: string[];
}

/** A worker whose timer never fires: the test ticks it, so who beats when is the test's choice. */
async function worker(executorId: string, recoverResult = 3): Promise<FakeWorker> {
  const recovered: string[] = [];
  const fenced: string[] = [];
  const liveness = new WorkerLiveness({
    databaseUrl: url,
    executorId,
    log: createLogger("silent"),
    heartbeatMs: 3_600_000,
    deadAfterMs: DEAD_AFTER_MS,
    recover: async (id) => {
      recovered.push(id);
      return recoverResult;
    },
    onFenced: (reason) => fenced.push(reason),
  });
  await liveness.start();
  live.push(liveness);
  return { liveness, recovered, fenced };
}

/** The process behind a worker dies: its connection is cut by the server, and it never ticks again. */
async function kill(executorId: string): Promise<void> {
  const res = await pool.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1", [`shipyard-worker ${executorId}`]);
  expect(res.rowCount).toBe(1);
}

/** Tick these workers together until `done` (at most `ms`: then the caller's expectations fail). */
async function beatUntil(done: () => boolean, ms: number, ...workers: FakeWorker[]): Promise<void> {
  const until = Date.now() + ms;
  while (!done() && Date.now() < until) {
    await Promise.all(workers.map((w) => w.liveness.tick()));
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Tick these workers together, over and over, for `ms`. */
async function beatFor(ms: number, ...workers: FakeWorker[]): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await Promise.all(workers.map((w) => w.liveness.tick()));
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("worker liveness", () => {
  it("two live workers: exactly one takes over a dead one's workflows, once", async () => {
    const [a, b, c] = [await worker("a"), await worker("b"), await worker("c")];
    await beatFor(DEAD_AFTER_MS * 2, a, b, c);
    expect([...a.recovered, ...b.recovered]).toEqual([]);
    await kill("c");
    await beatUntil(() => a.recovered.length + b.recovered.length > 0, DEAD_AFTER_MS * 3, a, b);
    expect([...a.recovered, ...b.recovered]).toEqual(["c"]);
    const row = await getWorker(pool, "c");
    expect(row).toMatchObject({ status: "dead", recoveredWorkflows: 3 });
    expect(["a", "b"]).toContain(row!.claimedBy);
    expect(row!.recoveredAt).not.toBeNull();
    // Nothing more is recovered however long the others go on.
    await beatFor(DEAD_AFTER_MS * 2, a, b);
    expect([...a.recovered, ...b.recovered]).toEqual(["c"]);
  });

  it("a silent worker that is still connected (holding its lock) is never recovered", async () => {
    const [a, c] = [await worker("a"), await worker("c")];
    await beatFor(DEAD_AFTER_MS * 3, a); // c is silent but alive
    expect(a.recovered).toEqual([]);
    expect(await getWorker(pool, "c")).toMatchObject({ status: "running", claimedBy: null });
    await c.liveness.tick();
    expect(c.fenced).toEqual([]);
  });

  it("a worker just started (or back from an outage) judges no one until it has beaten for the whole threshold", async () => {
    const c = await worker("c");
    await kill("c");
    await new Promise((r) => setTimeout(r, DEAD_AFTER_MS * 2));
    const a = await worker("a");
    await a.liveness.tick();
    expect(a.recovered).toEqual([]);
    await beatUntil(() => a.recovered.length > 0, DEAD_AFTER_MS * 2, a);
    expect(a.recovered).toEqual(["c"]);
    expect(c.recovered).toEqual([]);
  });

  it("a worker found dead while away is fenced when it comes back, and does not beat on", async () => {
    const [a, c] = [await worker("a"), await worker("c")];
    await beatFor(DEAD_AFTER_MS * 2, a, c);
    await kill("c");
    await beatUntil(() => a.recovered.length > 0, DEAD_AFTER_MS * 3, a);
    expect(a.recovered).toEqual(["c"]);
    await c.liveness.tick(); // reconnects, takes its lock back, and finds its row handed over
    expect(c.fenced).toHaveLength(1);
    expect(await getWorker(pool, "c")).toMatchObject({ status: "dead" });
  });

  it("a stopped worker's pending workflows are handed over at once, without waiting for the threshold", async () => {
    const [a, c] = [await worker("a", 0), await worker("c")];
    await beatFor(DEAD_AFTER_MS * 2, a, c);
    await c.liveness.stop();
    expect(await getWorker(pool, "c")).toMatchObject({ status: "stopped" });
    await a.liveness.tick();
    expect(a.recovered).toEqual(["c"]);
    expect(await getWorker(pool, "c")).toMatchObject({ status: "stopped", claimedBy: "a", recoveredWorkflows: 0 });
  });

  it("refuses a second live process with the same executor id; a restart after a death takes the row back", async () => {
    await worker("a");
    await expect(worker("a")).rejects.toThrow(/executor id "a" is in use by a live process \(pid \d+ on .+\)/);
    await kill("a");
    const again = await worker("a");
    expect(await getWorker(pool, "a")).toMatchObject({ status: "running", incarnation: again.liveness.self.incarnation });
  });
});
