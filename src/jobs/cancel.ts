import { inTransaction } from "../db/pool.ts";
import type { OperationDeps } from "../engine/control.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import { finishJob } from "./claim.ts";
import { lockJob, lockRunningAttempt } from "./store.ts";
import { stopAttemptTasks } from "./stage-task.ts";
import type { RunMessage } from "../tasks/messages.ts";
import { isDeadWorkflow } from "../runs/finish.ts";

/**
 * Cancel a job: a waiting one leaves its queue at once; a running one's workflow is told to kill its agent and
 * clean its workspace. A running job whose workflow no longer runs (DBOS gave up on it) is ended here, its
 * tasks stopped, since a message to that workflow would change nothing. 409 when it has already ended.
 */
export async function cancelJob({ pool, workflows }: OperationDeps, workspaceId: string, id: string): Promise<void> {
  const running = await inTransaction(pool, async (client) => {
    const job = await lockJob(client, id, workspaceId);
    if (!job) throw notFound("job", id);
    if (job.status === "queued") {
      await finishJob(client, job, "cancelled", "cancelled while queued");
      return null;
    }
    if (job.status !== "running") throw new ShipyardError("job_finished", `job ${id} already ${job.status}; nothing to cancel`, 409);
    return { workflowId: job.workflow_id, attempt: job.attempts };
  });
  if (!running) return;
  const workflow = running.workflowId ? await workflows.status(running.workflowId) : null;
  if (running.workflowId && !isDeadWorkflow(workflow)) {
    const msg: RunMessage = { type: "cancel" };
    await workflows.send(running.workflowId, msg, `cancel:${running.workflowId}`);
    return;
  }
  await inTransaction(pool, async (client) => {
    const job = await lockRunningAttempt(client, id, running.attempt);
    if (!job) return; // it ended meanwhile
    await finishJob(client, job, "cancelled", `cancelled (its workflow had stopped: ${workflow ?? "missing"})`);
    await stopAttemptTasks(client, id, running.attempt);
  });
}
