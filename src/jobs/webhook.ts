// The webhook event of a finished job: job.completed when it succeeded, job.failed when it failed.
import type { EngineResources } from "../engine/resources.ts";
import { emitWebhookEvent } from "../webhooks/service.ts";
import { loadJob } from "./store.ts";

/** Emit the finished job's webhook event (from the job workflow, once the job has succeeded or failed). */
export async function emitJobFinished(res: EngineResources, jobId: string): Promise<void> {
  await emitWebhookEvent(res, async () => {
    const job = await loadJob(res.pool, jobId);
    if (!job || (job.status !== "succeeded" && job.status !== "failed")) return null;
    const succeeded = job.status === "succeeded";
    return {
      workspaceId: job.workspace_id,
      type: succeeded ? "job.completed" : "job.failed",
      key: `${jobId}:finished`,
      data: { jobId, projectId: job.project_id, status: job.status, branch: job.branch, prUrl: job.pr_url, commit: job.commit_sha, error: job.error },
    };
  }, { last: true });
}
