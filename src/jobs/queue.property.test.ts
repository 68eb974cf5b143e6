import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../../test/helpers/database.ts";
import { migrate } from "../db/migrate.ts";
import { createPool, inTransaction, type Pool } from "../db/pool.ts";
import { newId } from "../domain/ids.ts";
import { claimNextJob, finishJob, returnJobToQueue } from "./claim.ts";
import { createJob, moveJob, queuesView, setQueuePaused, type JobRecord } from "./queue.ts";
import type { JobQueue } from "./schemas.ts";

// Seed 001's queue properties, against the real queue code on PostgreSQL (each test names its property).

let pool: Pool;
beforeAll(async () => {
  pool = createPool(await freshDatabase("jobs"), 20);
  await migrate(pool);
});
afterAll(async () => {
  await pool?.end();
});

/** A workspace with a project and `runners` online runners. */
async function world(runners = 1): Promise<{ ws: string; project: string; runnerIds: string[] }> {
  const ws = newId("ws");
  await pool.query("insert into workspaces (id, name) values ($1, $1)", [ws]);
  const project = newId("prj");
  await pool.query("insert into projects (id, workspace_id, name, repo, default_branch) values ($1, $2, 'p', '/r', 'main')", [project, ws]);
  const runnerIds: string[] = [];
  for (let i = 0; i < runners; i++) {
    const id = newId("rnr");
    await pool.query("insert into runners (id, workspace_id, name, slots, status) values ($1, $2, $3, 1, 'online')", [id, ws, `r${i}`]);
    runnerIds.push(id);
  }
  return { ws, project, runnerIds };
}

const add = (ws: string, project: string, queue: JobQueue, prompt = "p") =>
  createJob(pool, ws, { projectId: project, prompt, queue, executor: { type: "command", command: "true" } });
const claim = (runnerId: string) => inTransaction(pool, (c) => claimNextJob(c, runnerId, false));
const finish = (job: JobRecord) => inTransaction(pool, (c) => finishJob(c, job, "succeeded", null));

async function positions(ws: string): Promise<Record<string, number[]>> {
  const view = await queuesView(pool, ws);
  return Object.fromEntries(view.queues.map((q) => [q.queue, q.jobs.map((j) => j.position ?? -1)]));
}

const queueArb = fc.constantFrom<JobQueue>("rework", "backlog");

describe("job queue properties (seed 001)", () => {
  it("Property 29 (queue priority order) and 3 (sequential order): claims take rework before backlog, FIFO within a queue", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(queueArb, { minLength: 1, maxLength: 8 }), async (queues) => {
        const { ws, project, runnerIds } = await world(1);
        const created = [];
        for (const q of queues) created.push(await add(ws, project, q));
        const expected = [...created.filter((j) => j.queue === "rework"), ...created.filter((j) => j.queue === "backlog")].map((j) => j.id);
        const order: string[] = [];
        for (;;) {
          const job = await claim(runnerIds[0]!);
          if (!job) break;
          order.push(job.id);
          await finish(job); // Property 4: the queue continues after a completion
        }
        expect(order).toEqual(expected);
      }),
      { numRuns: 10 },
    );
  });

  it("Property 30 (single job per runner) and 6 (non-preemptive): a runner with a running job gets nothing more, even from rework", async () => {
    const { ws, project, runnerIds } = await world(1);
    await add(ws, project, "backlog");
    const first = await claim(runnerIds[0]!);
    expect(first).not.toBeNull();
    await add(ws, project, "rework");
    expect(await claim(runnerIds[0]!)).toBeNull();
    const view = await queuesView(pool, ws);
    expect(view.runners[0]!.executing?.id).toBe(first!.id);
    await finish(first!);
    expect((await claim(runnerIds[0]!))?.queue).toBe("rework");
  });

  it("Property 28 (atomic claiming): concurrent claimers on many runners never take the same job", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 5 }), async (jobs, runners) => {
        const { ws, project, runnerIds } = await world(runners);
        for (let i = 0; i < jobs; i++) await add(ws, project, "backlog");
        const claimed = (await Promise.all(runnerIds.map((r) => claim(r)))).filter((j): j is JobRecord => j !== null);
        expect(new Set(claimed.map((j) => j.id)).size).toBe(claimed.length);
        expect(new Set(claimed.map((j) => j.runner_id)).size).toBe(claimed.length);
        expect(claimed.length).toBe(Math.min(jobs, runners));
      }),
      { numRuns: 10 },
    );
  });

  it("Property 5 (single execution per workspace, when configured): a second runner waits while the workspace has a running job", async () => {
    const { ws, project, runnerIds } = await world(2);
    await add(ws, project, "backlog");
    await add(ws, project, "backlog");
    const one = await inTransaction(pool, (c) => claimNextJob(c, runnerIds[0]!, true));
    expect(one).not.toBeNull();
    expect(await inTransaction(pool, (c) => claimNextJob(c, runnerIds[1]!, true))).toBeNull();
    expect(await inTransaction(pool, (c) => claimNextJob(c, runnerIds[1]!, false))).not.toBeNull();
  });

  it("reordering: after any sequence of adds, moves, claims and returns, every queue is numbered 1..n in order", async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), queue: queueArb }),
      fc.record({ kind: fc.constant("move" as const), pick: fc.nat(), queue: fc.option(queueArb, { nil: undefined }), position: fc.integer({ min: 1, max: 10 }) }),
      fc.record({ kind: fc.constant("claim" as const) }),
      fc.record({ kind: fc.constant("return" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 15 }), async (ops) => {
        const { ws, project, runnerIds } = await world(1);
        let running: JobRecord | null = null;
        for (const o of ops) {
          if (o.kind === "add") await add(ws, project, o.queue);
          else if (o.kind === "claim" && !running) running = await claim(runnerIds[0]!);
          else if (o.kind === "return" && running) {
            await inTransaction(pool, (c) => returnJobToQueue(c, running!.id, running!.attempts, "runner lost", 99));
            running = null;
          } else if (o.kind === "move") {
            const waiting = (await pool.query<{ id: string }>("select id from jobs where workspace_id = $1 and status = 'queued' order by id", [ws])).rows;
            if (waiting.length === 0) continue;
            await moveJob(pool, ws, waiting[o.pick % waiting.length]!.id, { queue: o.queue, position: o.position });
          }
        }
        for (const list of Object.values(await positions(ws))) expect(list).toEqual(list.map((_, i) => i + 1));
      }),
      { numRuns: 15 },
    );
  });

  it("a job whose runner is lost returns to the front of its queue with its attempts kept; past max_attempts it fails saying why", async () => {
    const { ws, project, runnerIds } = await world(1);
    const first = await add(ws, project, "backlog", "first");
    await add(ws, project, "backlog", "second");
    const claimed = (await claim(runnerIds[0]!))!;
    expect(claimed.id).toBe(first.id);
    expect(await inTransaction(pool, (c) => returnJobToQueue(c, claimed.id, claimed.attempts, "runner r0 offline", 2))).toBe("queued");
    const view = await queuesView(pool, ws);
    expect(view.queues.find((q) => q.queue === "backlog")!.jobs.map((j) => [j.prompt, j.position, j.attempts])).toEqual([
      ["first", 1, 1],
      ["second", 2, 0],
    ]);
    const again = (await claim(runnerIds[0]!))!;
    expect(again).toMatchObject({ id: first.id, attempts: 2 });
    expect(await inTransaction(pool, (c) => returnJobToQueue(c, again.id, again.attempts, "runner r0 offline", 2))).toBe("failed");
    const failed = (await pool.query<JobRecord>("select * from jobs where id = $1", [first.id])).rows[0]!;
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/runner r0 offline; gave up after 2 attempts/);
  });

  it("a paused queue keeps its jobs and starts none of them", async () => {
    const { ws, project, runnerIds } = await world(1);
    await setQueuePaused(pool, ws, "backlog", true);
    await add(ws, project, "backlog");
    expect(await claim(runnerIds[0]!)).toBeNull();
    await setQueuePaused(pool, ws, "backlog", false);
    expect(await claim(runnerIds[0]!)).not.toBeNull();
  });
});
