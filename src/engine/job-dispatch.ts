import { DBOS } from "@dbos-inc/dbos-sdk";
import { inTransaction } from "../db/pool.ts";
import { claimNextJob } from "../jobs/claim.ts";
import { engineDeps } from "./context.ts";
import { jobWorkflow } from "./job-workflow.ts";

/** Job workflows: one at a time per runner (partitioned by runner id). */
export const JOBS_QUEUE = "shipyard-jobs";
/** Dispatchers: one at a time per runner, so claims for a runner never race. */
export const JOB_DISPATCH_QUEUE = "shipyard-job-dispatch";

/** Claim the next job for a runner that is free and start its workflow on the runner's partition. */
async function dispatchImpl(runnerId: string): Promise<string | null> {
  const { pool, jobs } = engineDeps();
  const job = await DBOS.runStep(() => inTransaction(pool, (c) => claimNextJob(c, runnerId, jobs.onePerWorkspace)), { name: "claim" });
  if (!job) return null;
  await DBOS.startWorkflow(jobWorkflow, {
    workflowID: job.workflow_id!,
    queueName: JOBS_QUEUE,
    enqueueOptions: { queuePartitionKey: runnerId },
  })(job.id, job.attempts, runnerId);
  return job.id;
}

export const dispatchWorkflow = DBOS.registerWorkflow(dispatchImpl, { name: "shipyard.job-dispatch" });

// The default dispatch poll is 1 s; jobs are long, but a short poll keeps the gap between jobs small.
const POLL_MS = 50;

/** Register the job queues (after DBOS.launch). */
export async function registerJobQueues(): Promise<void> {
  await DBOS.registerQueue(JOBS_QUEUE, { partitionConcurrency: 1, minPollingIntervalMs: POLL_MS, onConflict: "always_update" });
  await DBOS.registerQueue(JOB_DISPATCH_QUEUE, { partitionConcurrency: 1, minPollingIntervalMs: POLL_MS, onConflict: "always_update" });
}

/**
 * Offer the next job to each given runner (default: every online one) that is free and has a job it could
 * take; the filter keeps a burst of submissions (or submissions to a paused queue) from starting a
 * dispatcher per runner per job.
 */
export async function kickDispatch(runnerIds?: string[]): Promise<void> {
  const free = await engineDeps().pool.query<{ id: string }>(
    `select r.id from runners r
     where r.status = 'online' and ($1::text[] is null or r.id = any($1))
       and not exists (select 1 from jobs j where j.runner_id = r.id and j.status = 'running')
       and exists (select 1 from jobs j left join job_queues q on q.workspace_id = j.workspace_id and q.queue = j.queue
                   where j.status = 'queued' and not coalesce(q.paused, false)
                     and (r.workspace_id is null or j.workspace_id = r.workspace_id))`,
    [runnerIds ?? null],
  );
  for (const { id } of free.rows) {
    await DBOS.startWorkflow(dispatchWorkflow, { queueName: JOB_DISPATCH_QUEUE, enqueueOptions: { queuePartitionKey: id } })(id);
  }
}
