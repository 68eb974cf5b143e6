import type { PoolClient } from "../db/pool.ts";
import type { FinalStatus } from "../domain/statuses.ts";
import { appendEvents } from "../events/store.ts";
import { finishOperation, markOperationPending, markOperationRunning } from "../operations/store.ts";
import { lockRunner } from "../tasks/runner-store.ts";
import { lockJob, lockNextJob, requeueAtFront, runnerHasJob, settleJob, startJobAttempt, type JobRecord } from "./store.ts";

/**
 * Atomically hand the next waiting job to a runner that has none: the rework queue before the backlog,
 * then by position. The runner row lock serialises claims for one runner; SKIP LOCKED keeps two runners
 * (or two servers) from taking the same job.
 */
export async function claimNextJob(client: PoolClient, runnerId: string, onePerWorkspace: boolean): Promise<JobRecord | null> {
  const r = await lockRunner(client, runnerId);
  if (!r || r.status !== "online") return null;
  if (await runnerHasJob(client, runnerId)) return null;
  const id = await lockNextJob(client, r.workspace_id, onePerWorkspace);
  if (!id) return null;
  const job = await startJobAttempt(client, id, runnerId);
  await markOperationRunning(client, id);
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
  const job = await lockJob(client, jobId);
  if (!job || job.status !== "running" || job.attempts !== attempt) return "stale";
  if (job.attempts >= maxAttempts) {
    await finishJob(client, job, "failed", `${reason}; gave up after ${job.attempts} attempts (max_attempts ${maxAttempts})`);
    return "failed";
  }
  await requeueAtFront(client, job);
  await markOperationPending(client, jobId);
  await appendEvents(client, jobId, [
    { type: "status", payload: { status: "queued", reason, attempt, front: true }, dedupeKey: `status:requeued:${attempt}` },
  ]);
  return "queued";
}

/** Settle a job (and its operation) with a final status and publish the final event. */
export async function finishJob(
  client: PoolClient,
  job: Pick<JobRecord, "id" | "attempts" | "pr_url" | "branch" | "commit_sha">,
  status: FinalStatus,
  error: string | null,
): Promise<void> {
  await settleJob(client, job.id, status, error);
  await finishOperation(client, job.id, status, error);
  await appendEvents(client, job.id, [
    { type: "status", payload: { status }, dedupeKey: `status:${status}` },
    {
      type: "complete",
      payload: { status, error, prUrl: job.pr_url, branch: job.branch, commit: job.commit_sha, attempts: job.attempts },
      dedupeKey: "complete",
    },
  ]);
}
