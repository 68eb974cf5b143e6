// The `jobs` and `job_queues` tables (and the `jobs_positioned` view): every statement that reads or writes them.
import type { Queryable } from "../db/pool.ts";
import type { JobQueue, JobStatus } from "./schemas.ts";

/** A job row as stored. */
export interface JobRecord {
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

/** Serialise position changes of one queue (creating its row on first use); true when it is paused. */
export async function lockQueue(db: Queryable, workspaceId: string, queue: JobQueue): Promise<boolean> {
  await db.query("insert into job_queues (workspace_id, queue) values ($1, $2) on conflict do nothing", [workspaceId, queue]);
  const res = await db.query<{ paused: boolean }>("select paused from job_queues where workspace_id = $1 and queue = $2 for update", [workspaceId, queue]);
  return res.rows[0]?.paused ?? false;
}

/** Pause or resume a queue. */
export async function storeQueuePaused(db: Queryable, workspaceId: string, queue: JobQueue, paused: boolean): Promise<void> {
  await db.query(
    `insert into job_queues (workspace_id, queue, paused) values ($1, $2, $3)
     on conflict (workspace_id, queue) do update set paused = excluded.paused`,
    [workspaceId, queue, paused],
  );
}

/** Which queues of a workspace have a row, and whether each is paused. */
export async function queuePauses(db: Queryable, workspaceId: string): Promise<{ queue: JobQueue; paused: boolean }[]> {
  return (await db.query<{ queue: JobQueue; paused: boolean }>("select queue, paused from job_queues where workspace_id = $1", [workspaceId])).rows;
}

/** Ids of a queue's waiting jobs in order (stored position, then age), leaving out `except`. */
export async function waitingJobIds(db: Queryable, workspaceId: string, queue: JobQueue, except: string | null = null): Promise<string[]> {
  const res = await db.query<{ id: string }>(
    "select id from jobs where workspace_id = $1 and queue = $2 and status = 'queued' and ($3::text is null or id <> $3) order by position nulls last, created_at",
    [workspaceId, queue, except],
  );
  return res.rows.map((r) => r.id);
}

/** Store the given jobs' positions as 1..n in that order. */
export async function storePositions(db: Queryable, ids: string[]): Promise<void> {
  await db.query(`update jobs j set position = x.pos from unnest($1::text[]) with ordinality as x(id, pos) where j.id = x.id and j.position is distinct from x.pos`, [ids]);
}

/** Insert a queued job at the end of its queue. */
export async function insertJob(
  db: Queryable,
  j: { id: string; workspaceId: string; projectId: string; prompt: string; executor: unknown; queue: JobQueue; branch: string },
): Promise<void> {
  await db.query(
    `insert into jobs (id, workspace_id, project_id, prompt, executor, status, queue, position, branch)
     values ($1, $2, $3, $4, $5, 'queued', $6,
       (select coalesce(max(position), 0) + 1 from jobs where workspace_id = $2 and queue = $6 and status = 'queued'), $7)`,
    [j.id, j.workspaceId, j.projectId, j.prompt, JSON.stringify(j.executor), j.queue, j.branch],
  );
}

/** A job with its position in its queue (no workspace check), or null. */
export async function positionedJob(db: Queryable, id: string): Promise<JobRecord | null> {
  return (await db.query<JobRecord>("select * from jobs_positioned where id = $1", [id])).rows[0] ?? null;
}

/** A job of a workspace with its position in its queue, or null. */
export async function positionedJobOf(db: Queryable, workspaceId: string, id: string): Promise<JobRecord | null> {
  return (await db.query<JobRecord>("select * from jobs_positioned where id = $1 and workspace_id = $2", [id, workspaceId])).rows[0] ?? null;
}

/** Jobs of a workspace: running, then waiting ones by queue and position, then the rest newest first. */
export async function listPositionedJobs(db: Queryable, workspaceId: string, opts: { status?: JobStatus; limit: number }): Promise<JobRecord[]> {
  const res = await db.query<JobRecord>(
    `select * from jobs_positioned where workspace_id = $1 and ($2::text is null or status = $2)
     order by (status = 'running') desc, (status = 'queued') desc, (queue = 'rework') desc, position, created_at desc limit $3`,
    [workspaceId, opts.status ?? null, opts.limit],
  );
  return res.rows;
}

/** A workspace's running jobs, and its waiting ones by position in their queue. */
export async function activeJobsOf(db: Queryable, workspaceId: string): Promise<{ running: JobRecord[]; waiting: JobRecord[] }> {
  const running = await db.query<JobRecord>("select * from jobs_positioned where workspace_id = $1 and status = 'running'", [workspaceId]);
  const waiting = await db.query<JobRecord>("select * from jobs_positioned where workspace_id = $1 and status = 'queued' order by queue_position", [workspaceId]);
  return { running: running.rows, waiting: waiting.rows };
}

/** The stored job (no workspace check), or null. */
export async function loadJob(db: Queryable, id: string): Promise<JobRecord | null> {
  return (await db.query<JobRecord>("select * from jobs where id = $1", [id])).rows[0] ?? null;
}

/** A job of a workspace, unlocked, or null. */
export async function jobOfWorkspace(db: Queryable, workspaceId: string, id: string): Promise<JobRecord | null> {
  return (await db.query<JobRecord>("select * from jobs where id = $1 and workspace_id = $2", [id, workspaceId])).rows[0] ?? null;
}

/** Lock a job (of `workspaceId`, when given); null when there is none. */
export async function lockJob(db: Queryable, id: string, workspaceId?: string): Promise<JobRecord | null> {
  const res =
    workspaceId === undefined
      ? await db.query<JobRecord>("select * from jobs where id = $1 for update", [id])
      : await db.query<JobRecord>("select * from jobs where id = $1 and workspace_id = $2 for update", [id, workspaceId]);
  return res.rows[0] ?? null;
}

/** Lock attempt `attempt` of a job (running or not); null when the job is on another attempt. */
export async function lockJobAttempt(db: Queryable, id: string, attempt: number): Promise<JobRecord | null> {
  return (await db.query<JobRecord>("select * from jobs where id = $1 and attempts = $2 for update", [id, attempt])).rows[0] ?? null;
}

/** Lock attempt `attempt` of a job while it is running; null otherwise. */
export async function lockRunningAttempt(db: Queryable, id: string, attempt: number): Promise<JobRecord | null> {
  return (await db.query<JobRecord>("select * from jobs where id = $1 and status = 'running' and attempts = $2 for update", [id, attempt])).rows[0] ?? null;
}

/** Move a job to another queue (its position is stored by storePositions). */
export async function setJobQueue(db: Queryable, id: string, queue: JobQueue): Promise<void> {
  await db.query("update jobs set queue = $2, updated_at = now() where id = $1", [id, queue]);
}

/** True when the runner executes a job. */
export async function runnerHasJob(db: Queryable, runnerId: string): Promise<boolean> {
  const busy = await db.query("select 1 from jobs where runner_id = $1 and status = 'running' limit 1", [runnerId]);
  return (busy.rowCount ?? 0) > 0;
}

/**
 * Lock the next job a runner (of `workspaceId`, null: the shared pool) may take: rework before backlog, then by
 * position, from queues that are not paused, and (with `onePerWorkspace`) of workspaces running none; rows
 * another claim holds are skipped, so two runners never take the same job.
 */
export async function lockNextJob(db: Queryable, workspaceId: string | null, onePerWorkspace: boolean): Promise<string | null> {
  const picked = await db.query<{ id: string }>(
    `select j.id from jobs j
     left join job_queues q on q.workspace_id = j.workspace_id and q.queue = j.queue
     where j.status = 'queued' and not coalesce(q.paused, false)
       and ($1::text is null or j.workspace_id = $1)
       and (not $2::boolean or not exists (select 1 from jobs x where x.workspace_id = j.workspace_id and x.status = 'running'))
     order by (j.queue = 'rework') desc, j.position, j.created_at
     limit 1 for update of j skip locked`,
    [workspaceId, onePerWorkspace],
  );
  return picked.rows[0]?.id ?? null;
}

/** Start a job's next attempt on a runner; its workflow id is `<job>:<attempt>`. */
export async function startJobAttempt(db: Queryable, id: string, runnerId: string): Promise<JobRecord> {
  const claimed = await db.query<JobRecord>(
    `update jobs set status = 'running', runner_id = $2, attempts = attempts + 1, position = null, stage = null, error = null,
       workflow_id = id || ':' || (attempts + 1), updated_at = now()
     where id = $1 returning *`,
    [id, runnerId],
  );
  return claimed.rows[0]!;
}

/** Put a running job back at the front of its queue: below every stored position of the jobs waiting there. */
export async function requeueAtFront(db: Queryable, job: Pick<JobRecord, "id" | "workspace_id" | "queue">): Promise<void> {
  await db.query(
    `update jobs set status = 'queued', runner_id = null, stage = null, workflow_id = null, updated_at = now(),
       position = (select coalesce(min(position), 1) - 1 from jobs where workspace_id = $2 and queue = $3 and status = 'queued')
     where id = $1`,
    [job.id, job.workspace_id, job.queue],
  );
}

/** Send a running job to the end of its workspace's rework queue, with the reason. */
export async function requeueForRework(db: Queryable, job: Pick<JobRecord, "id" | "workspace_id">, reason: string): Promise<void> {
  await db.query(
    `update jobs set status = 'queued', queue = 'rework', runner_id = null, stage = null, workflow_id = null, error = $2,
       position = (select coalesce(max(position), 0) + 1 from jobs where workspace_id = $3 and queue = 'rework' and status = 'queued'),
       updated_at = now() where id = $1 and status = 'running'`,
    [job.id, reason, job.workspace_id],
  );
}

/** Settle a job with a final status. */
export async function settleJob(db: Queryable, id: string, status: JobStatus, error: string | null): Promise<void> {
  await db.query("update jobs set status = $2, error = $3, position = null, updated_at = now() where id = $1", [id, status, error]);
}

/** A stage of the job began (the job counts as active now). */
export async function startStage(db: Queryable, id: string, stage: string): Promise<void> {
  await db.query("update jobs set stage = $2, updated_at = now() where id = $1", [id, stage]);
}

/** Record the stage a job failed in. */
export async function recordFailedStage(db: Queryable, id: string, stage: string): Promise<void> {
  await db.query("update jobs set stage = $2 where id = $1", [id, stage]);
}

/** Record the branch and commit a job pushed. */
export async function recordPush(db: Queryable, id: string, branch: string, commit: string | null): Promise<void> {
  await db.query("update jobs set branch = $2, commit_sha = $3 where id = $1", [id, branch, commit]);
}

/** Record a job's pull request. */
export async function recordPullRequest(db: Queryable, id: string, url: string): Promise<void> {
  await db.query("update jobs set pr_url = $2 where id = $1", [id, url]);
}

/** Online runners (all, or those given) that execute no job while a job they could take waits in an unpaused queue. */
export async function freeRunnersWithWork(db: Queryable, runnerIds: string[] | null): Promise<string[]> {
  const free = await db.query<{ id: string }>(
    `select r.id from runners r
     where r.status = 'online' and ($1::text[] is null or r.id = any($1))
       and not exists (select 1 from jobs j where j.runner_id = r.id and j.status = 'running')
       and exists (select 1 from jobs j left join job_queues q on q.workspace_id = j.workspace_id and q.queue = j.queue
                   where j.status = 'queued' and not coalesce(q.paused, false)
                     and (r.workspace_id is null or j.workspace_id = r.workspace_id))`,
    [runnerIds],
  );
  return free.rows.map((r) => r.id);
}

/** Online runners that execute no job while a job they could take waits (paused queues included: a safety net). */
export async function idleRunnersWithWaitingJobs(db: Queryable): Promise<string[]> {
  const idle = await db.query<{ id: string }>(
    `select r.id from runners r where r.status = 'online'
       and not exists (select 1 from jobs j where j.runner_id = r.id and j.status = 'running')
       and exists (select 1 from jobs j where j.status = 'queued' and (r.workspace_id is null or j.workspace_id = r.workspace_id))`,
  );
  return idle.rows.map((r) => r.id);
}

/** A running job whose workflow is not pending or enqueued (it is gone, failed, cancelled or given up on). */
export interface OrphanedJob {
  id: string;
  attempts: number;
  workflow_id: string | null;
  wf_status: string | null;
  wf_error: string | null;
  recoveries: number;
  max_attempts: number;
}

/** Running jobs, unchanged for 5 s, whose workflow no longer runs. */
export async function orphanedJobs(db: Queryable): Promise<OrphanedJob[]> {
  const orphans = await db.query<OrphanedJob>(
    `select j.id, j.attempts, j.workflow_id, w.status as wf_status, w.error as wf_error, coalesce(w.recovery_attempts, 0)::int as recoveries, p.max_attempts from jobs j
     join projects p on p.id = j.project_id
     left join dbos.workflow_status w on w.workflow_uuid = j.workflow_id
     where j.status = 'running' and j.updated_at < now() - interval '5 seconds'
       and (w.status is null or w.status not in ('PENDING', 'ENQUEUED'))`,
  );
  return orphans.rows;
}

/** Running jobs with no event (and no change) for longer than `stuckAfterMs`. */
export async function stuckJobs(db: Queryable, stuckAfterMs: number): Promise<{ id: string; attempts: number; workflow_id: string | null; max_attempts: number; idle_s: number }[]> {
  const stuck = await db.query<{ id: string; attempts: number; workflow_id: string | null; max_attempts: number; idle_s: number }>(
    `select j.id, j.attempts, j.workflow_id, p.max_attempts,
            extract(epoch from now() - coalesce((select max(created_at) from events e where e.operation_id = j.id), j.updated_at))::int as idle_s
     from jobs j join projects p on p.id = j.project_id
     where j.status = 'running'
       and coalesce((select max(created_at) from events e where e.operation_id = j.id), j.updated_at) < now() - make_interval(secs => $1::float / 1000)`,
    [stuckAfterMs],
  );
  return stuck.rows;
}
