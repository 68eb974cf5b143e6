import { inTransaction, type Pool, type PoolClient, type Queryable } from "../db/pool.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import { appendEvents } from "../events/store.ts";
import type { JobInput, JobMove, JobQueue, JobStatus } from "./schemas.ts";

/** A job as the API shows it. */
export interface JobView {
  id: string;
  projectId: string;
  prompt: string;
  executor: { type: string };
  status: JobStatus;
  queue: JobQueue;
  position: number | null;
  stage: string | null;
  branch: string | null;
  prUrl: string | null;
  commit: string | null;
  error: string | null;
  attempts: number;
  runnerId: string | null;
  createdAt: string;
  updatedAt: string;
}

interface JobRow {
  id: string;
  workspace_id: string;
  project_id: string;
  prompt: string;
  executor: { type: string };
  status: JobStatus;
  queue: JobQueue;
  position: number | null;
  stage: string | null;
  branch: string | null;
  pr_url: string | null;
  commit_sha: string | null;
  error: string | null;
  attempts: number;
  runner_id: string | null;
  workflow_id: string | null;
  created_at: Date;
  updated_at: Date;
  /** From the jobs_positioned view: 1..n among the waiting jobs of its queue. */
  queue_position?: number | null;
}

/** A job row as the engine needs it. */
export type JobRecord = JobRow;

const toView = (r: JobRow): JobView => ({
  id: r.id,
  projectId: r.project_id,
  prompt: r.prompt,
  // A patch executor's diff can be large; the view says which executor, not its payload.
  executor: { type: r.executor.type },
  status: r.status,
  queue: r.queue,
  position: r.queue_position ?? null,
  stage: r.stage,
  branch: r.branch,
  prUrl: r.pr_url,
  commit: r.commit_sha,
  error: r.error,
  attempts: r.attempts,
  runnerId: r.runner_id,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** Serialise position changes of one queue (creating its row on first use). */
async function lockQueue(client: PoolClient, workspaceId: string, queue: JobQueue): Promise<boolean> {
  await client.query("insert into job_queues (workspace_id, queue) values ($1, $2) on conflict do nothing", [workspaceId, queue]);
  const res = await client.query<{ paused: boolean }>("select paused from job_queues where workspace_id = $1 and queue = $2 for update", [
    workspaceId,
    queue,
  ]);
  return res.rows[0]?.paused ?? false;
}

/** Store a queue's waiting jobs as 1..n in the given (or current) order, after a move. */
async function renumber(client: PoolClient, workspaceId: string, queue: JobQueue, order?: string[]): Promise<void> {
  const ids =
    order ??
    (
      await client.query<{ id: string }>(
        "select id from jobs where workspace_id = $1 and queue = $2 and status = 'queued' order by position nulls last, created_at",
        [workspaceId, queue],
      )
    ).rows.map((r) => r.id);
  await client.query(
    `update jobs j set position = x.pos from unnest($1::text[]) with ordinality as x(id, pos) where j.id = x.id and j.position is distinct from x.pos`,
    [ids],
  );
}

/** Queue a job at the end of its queue. */
export async function createJob(pool: Pool, workspaceId: string, input: JobInput): Promise<JobView> {
  return inTransaction(pool, async (client) => {
    const project = await client.query("select 1 from projects where id = $1 and workspace_id = $2", [input.projectId, workspaceId]);
    if (project.rowCount === 0) throw new ShipyardError("unknown_project", `project ${input.projectId} was not found in this workspace`, 422);
    await lockQueue(client, workspaceId, input.queue);
    const id = newId("job");
    const title = input.prompt.split("\n")[0]!.slice(0, 200);
    await client.query("insert into operations (id, workspace_id, kind, status, title) values ($1, $2, 'job', 'pending', $3)", [id, workspaceId, title]);
    await client.query(
      `insert into jobs (id, workspace_id, project_id, prompt, executor, status, queue, position, branch)
       values ($1, $2, $3, $4, $5, 'queued', $6,
         (select coalesce(max(position), 0) + 1 from jobs where workspace_id = $2 and queue = $6 and status = 'queued'), $7)`,
      [id, workspaceId, input.projectId, input.prompt, JSON.stringify(input.executor), input.queue, `shipyard/job-${id}`],
    );
    const view = (await client.query<JobRow>("select * from jobs_positioned where id = $1", [id])).rows[0]!;
    await appendEvents(client, id, [{ type: "status", payload: { status: "queued", queue: input.queue, position: view.queue_position }, dedupeKey: "status:queued:0" }]);
    return toView(view);
  });
}

/** A job of this workspace, or 404. */
export async function getJob(db: Queryable, workspaceId: string, id: string): Promise<JobView> {
  const res = await db.query<JobRow>("select * from jobs_positioned where id = $1 and workspace_id = $2", [id, workspaceId]);
  if (!res.rows[0]) throw notFound("job", id);
  return toView(res.rows[0]);
}

/** The stored job (engine use; no workspace check). */
export async function loadJob(db: Queryable, id: string): Promise<JobRecord | null> {
  return (await db.query<JobRow>("select * from jobs where id = $1", [id])).rows[0] ?? null;
}

/** Jobs of a workspace: waiting ones by queue and position first, then the rest newest first. */
export async function listJobs(db: Queryable, workspaceId: string, opts: { status?: JobStatus; limit: number }): Promise<JobView[]> {
  const res = await db.query<JobRow>(
    `select * from jobs_positioned where workspace_id = $1 and ($2::text is null or status = $2)
     order by (status = 'running') desc, (status = 'queued') desc, (queue = 'rework') desc, position, created_at desc limit $3`,
    [workspaceId, opts.status ?? null, opts.limit],
  );
  return res.rows.map(toView);
}

/** Move a waiting job to another queue and/or position; both queues stay numbered 1..n. */
export async function moveJob(pool: Pool, workspaceId: string, id: string, move: JobMove): Promise<JobView> {
  return inTransaction(pool, async (client) => {
    const current = await client.query<JobRow>("select * from jobs where id = $1 and workspace_id = $2", [id, workspaceId]);
    const job = current.rows[0];
    if (!job) throw notFound("job", id);
    const target = move.queue ?? job.queue;
    for (const q of [...new Set<JobQueue>([job.queue, target])].sort()) await lockQueue(client, workspaceId, q);
    const fresh = (await client.query<JobRow>("select * from jobs where id = $1 for update", [id])).rows[0]!;
    if (fresh.status !== "queued") throw new ShipyardError("job_not_queued", `job ${id} is ${fresh.status}; only queued jobs can be moved`, 409);
    const others = (
      await client.query<{ id: string }>(
        "select id from jobs where workspace_id = $1 and queue = $2 and status = 'queued' and id <> $3 order by position nulls last, created_at",
        [workspaceId, target, id],
      )
    ).rows.map((r) => r.id);
    const at = Math.min(Math.max((move.position ?? others.length + 1) - 1, 0), others.length);
    others.splice(at, 0, id);
    await client.query("update jobs set queue = $2, updated_at = now() where id = $1", [id, target]);
    await renumber(client, workspaceId, target, others);
    if (target !== fresh.queue) await renumber(client, workspaceId, fresh.queue);
    await appendEvents(client, id, [{ type: "status", payload: { status: "queued", queue: target, position: at + 1, moved: true } }]);
    return toView((await client.query<JobRow>("select * from jobs_positioned where id = $1", [id])).rows[0]!);
  });
}

/** Pause or resume a queue: a paused queue keeps its jobs but none is started. */
export async function setQueuePaused(pool: Pool, workspaceId: string, queue: JobQueue, paused: boolean): Promise<void> {
  await pool.query(
    `insert into job_queues (workspace_id, queue, paused) values ($1, $2, $3)
     on conflict (workspace_id, queue) do update set paused = excluded.paused`,
    [workspaceId, queue, paused],
  );
}

/** Per runner: what it executes; per queue: paused or not and the waiting jobs in order. */
export async function queuesView(db: Queryable, workspaceId: string) {
  const runners = await db.query<{ id: string; name: string; status: string }>(
    "select id, name, status from runners where workspace_id is null or workspace_id = $1 order by name",
    [workspaceId],
  );
  const running = await db.query<JobRow>("select * from jobs_positioned where workspace_id = $1 and status = 'running'", [workspaceId]);
  const waiting = await db.query<JobRow>(
    "select * from jobs_positioned where workspace_id = $1 and status = 'queued' order by queue_position",
    [workspaceId],
  );
  const paused = await db.query<{ queue: JobQueue; paused: boolean }>("select queue, paused from job_queues where workspace_id = $1", [workspaceId]);
  const isPaused = (q: JobQueue) => paused.rows.some((p) => p.queue === q && p.paused);
  return {
    runners: runners.rows.map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      executing: running.rows.filter((j) => j.runner_id === r.id).map(toView)[0] ?? null,
    })),
    queues: (["rework", "backlog"] as const).map((q) => ({
      queue: q,
      paused: isPaused(q),
      jobs: waiting.rows.filter((j) => j.queue === q).map(toView),
    })),
  };
}
