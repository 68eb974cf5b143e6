import type { PoolClient } from "../db/pool.ts";
import { appendEvents } from "../events/store.ts";
import type { JobRecord } from "./queue.ts";

/**
 * Atomically hand the next waiting job to a runner that has none: the rework queue before the backlog,
 * then by position. The runner row lock serialises claims for one runner; SKIP LOCKED keeps two runners
 * (or two servers) from taking the same job.
 */
export async function claimNextJob(client: PoolClient, runnerId: string, onePerWorkspace: boolean): Promise<JobRecord | null> {
  const runner = await client.query<{ workspace_id: string | null; status: string }>(
    "select workspace_id, status from runners where id = $1 for update",
    [runnerId],
  );
  const r = runner.rows[0];
  if (!r || r.status !== "online") return null;
  const busy = await client.query("select 1 from jobs where runner_id = $1 and status = 'running' limit 1", [runnerId]);
  if ((busy.rowCount ?? 0) > 0) return null;
  const picked = await client.query<{ id: string }>(
    `select j.id from jobs j
     left join job_queues q on q.workspace_id = j.workspace_id and q.queue = j.queue
     where j.status = 'queued' and not coalesce(q.paused, false)
       and ($1::text is null or j.workspace_id = $1)
       and (not $2::boolean or not exists (select 1 from jobs x where x.workspace_id = j.workspace_id and x.status = 'running'))
     order by (j.queue = 'rework') desc, j.position, j.created_at
     limit 1 for update of j skip locked`,
    [r.workspace_id, onePerWorkspace],
  );
  const id = picked.rows[0]?.id;
  if (!id) return null;
  const claimed = await client.query<JobRecord>(
    `update jobs set status = 'running', runner_id = $2, attempts = attempts + 1, position = null, stage = null, error = null,
       workflow_id = id || ':' || (attempts + 1), updated_at = now()
     where id = $1 returning *`,
    [id, runnerId],
  );
  const job = claimed.rows[0]!;
  await client.query("update operations set status = 'running', started_at = coalesce(started_at, now()) where id = $1", [id]);
  await appendEvents(client, id, [
    { type: "status", payload: { status: "running", runnerId, attempt: job.attempts }, dedupeKey: `status:running:${job.attempts}` },
  ]);
  return job;
}

/**
 * Put a running job back at the front of its queue (its runner went away), keeping its attempt count;
 * past `maxAttempts` it fails instead, saying why.
 */
export async function returnJobToQueue(client: PoolClient, jobId: string, attempt: number, reason: string, maxAttempts: number): Promise<"queued" | "failed" | "stale"> {
  const res = await client.query<JobRecord>("select * from jobs where id = $1 for update", [jobId]);
  const job = res.rows[0];
  if (!job || job.status !== "running" || job.attempts !== attempt) return "stale";
  if (job.attempts >= maxAttempts) {
    await finishJob(client, job, "failed", `${reason}; gave up after ${job.attempts} attempts (max_attempts ${maxAttempts})`);
    return "failed";
  }
  // Front of the queue: below every stored position of the jobs waiting there.
  await client.query(
    `update jobs set status = 'queued', runner_id = null, stage = null, workflow_id = null, updated_at = now(),
       position = (select coalesce(min(position), 1) - 1 from jobs where workspace_id = $2 and queue = $3 and status = 'queued')
     where id = $1`,
    [jobId, job.workspace_id, job.queue],
  );
  await client.query("update operations set status = 'pending' where id = $1", [jobId]);
  await appendEvents(client, jobId, [
    { type: "status", payload: { status: "queued", reason, attempt, front: true }, dedupeKey: `status:requeued:${attempt}` },
  ]);
  return "queued";
}

/** Settle a job (and its operation) with a final status and publish the final event. */
export async function finishJob(
  client: PoolClient,
  job: Pick<JobRecord, "id" | "attempts" | "pr_url" | "branch" | "commit_sha">,
  status: "succeeded" | "failed" | "cancelled",
  error: string | null,
): Promise<void> {
  await client.query("update jobs set status = $2, error = $3, position = null, updated_at = now() where id = $1", [job.id, status, error]);
  await client.query("update operations set status = $2, error = $3, finished_at = now() where id = $1", [job.id, status, error]);
  await appendEvents(client, job.id, [
    { type: "status", payload: { status }, dedupeKey: `status:${status}` },
    {
      type: "complete",
      payload: { status, error, prUrl: job.pr_url, branch: job.branch, commit: job.commit_sha, attempts: job.attempts },
      dedupeKey: "complete",
    },
  ]);
}
