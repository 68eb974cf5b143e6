// Who runs next: a dispatcher workflow per free runner claims its next job and starts that job's workflow; a
// finished job starts a dispatcher for the runner it freed (by name, so neither module needs the other).
import { DBOS } from "@dbos-inc/dbos-sdk";
import { inTransaction } from "../db/pool.ts";
import type { LocalWorkflows, OperationDeps, WorkflowControl } from "../engine/control.ts";
import { JOB_DISPATCH_QUEUE, JOBS_QUEUE } from "../engine/queues.ts";
import type { EngineResources } from "../engine/resources.ts";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import { claimNextJob } from "./claim.ts";
import { freeRunnersWithWork } from "./store.ts";

/** The DBOS name of a job's attempt (its id is `<job>:<attempt>`). */
export const JOB_WORKFLOW = "shipyard.job";
/** The DBOS name of a runner's dispatcher. */
export const JOB_DISPATCH_WORKFLOW = "shipyard.job-dispatch";

/** Register the dispatcher: claim the next job for a runner that is free and start its workflow on the runner's partition. */
export function registerDispatcher(res: EngineResources, workflows: LocalWorkflows): void {
  async function dispatchImpl(runnerId: string): Promise<string | null> {
    const job = await DBOS.runStep(() => inTransaction(res.pool, (c) => claimNextJob(c, runnerId, res.jobs.onePerWorkspace)), { name: "claim", ...TRANSIENT_RETRIES });
    if (!job) return null;
    await res.workflows.start(JOB_WORKFLOW, { workflowId: job.workflow_id!, queue: JOBS_QUEUE, partitionKey: runnerId }, job.id, job.attempts, runnerId);
    return job.id;
  }
  workflows.register(JOB_DISPATCH_WORKFLOW, dispatchImpl);
}

/** Offer a runner the next job: a dispatcher on the runner's partition (one at a time, so claims never race). */
export async function startDispatcher(workflows: WorkflowControl, runnerId: string): Promise<void> {
  await workflows.start(JOB_DISPATCH_WORKFLOW, { queue: JOB_DISPATCH_QUEUE, partitionKey: runnerId }, runnerId);
}

/**
 * Offer the next job to each given runner (default: every online one) that is free and has a job it could
 * take; the filter keeps a burst of submissions (or submissions to a paused queue) from starting a
 * dispatcher per runner per job.
 */
export async function kickDispatch(deps: OperationDeps, runnerIds?: string[]): Promise<void> {
  for (const id of await freeRunnersWithWork(deps.pool, runnerIds ?? null)) await startDispatcher(deps.workflows, id);
}
