import { DBOS } from "@dbos-inc/dbos-sdk";
import { foundWorkspaceGone } from "../git/scripts.ts";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import { inTransaction, type PoolClient } from "../db/pool.ts";
import type { EngineResources } from "../engine/resources.ts";
import { enqueueTask, requestKill } from "../tasks/dispatch.ts";
import type { TaskSpec } from "../tasks/spec.ts";
import { markTaskDone, stopAttemptTaskRows, taskWithRunnerStatus } from "../tasks/store.ts";
import { RUN_TOPIC, type RunMessage, type TaskResult } from "../tasks/messages.ts";

/** The job's runner went away mid-task: the job goes back to its queue. */
export class RunnerLost extends Error {}
/** The user cancelled the job. */
export class JobCancelled extends Error {}

/** How long to wait for a message before checking that the runner is still there. */
const WATCH_SECONDS = 60;

/** The attempt of a job whose stages run on its runner. */
export interface PinnedJob {
  id: string;
  attempt: number;
  runnerId: string;
  workspaceId: string;
}

/**
 * Runs one stage's script on the job's runner (tasks are pinned to it: the stages share its workspace
 * directory) and waits durably for the result. A cancel arriving meanwhile kills the task; a lost runner
 * throws RunnerLost.
 */
export async function runPinnedTask(
  res: EngineResources,
  job: PinnedJob,
  stage: string,
  spec: TaskSpec,
  secretEnv: Record<string, string> = {},
  opts: { ignoreCancel?: boolean } = {},
): Promise<TaskResult> {
  const workflowId = DBOS.workflowID!;
  const id = await DBOS.runStep(
    () =>
      inTransaction(res.pool, (c) =>
        enqueueTask(c, {
          runId: job.id,
          stepId: stage,
          attempt: job.attempt,
          workspaceId: job.workspaceId,
          spec,
          workflowId,
          pinnedRunnerId: job.runnerId,
          secretEnv,
        }),
      ),
    { name: `enqueue:${stage}`, ...TRANSIENT_RETRIES },
  );
  let cancelled = false;
  for (;;) {
    const msg = await DBOS.recv<RunMessage>(RUN_TOPIC, WATCH_SECONDS);
    if (msg === null) {
      const check = await DBOS.runStep(() => checkTask(res, job.runnerId, id), { name: "check-runner", ...TRANSIENT_RETRIES });
      if (check.result) return unlessWorkspaceGone(check.result); // reported, but the message was lost with a crashed server
      if (check.offline) throw new RunnerLost(`runner went offline during ${stage}`);
      continue;
    }
    if (msg.type === "cancel") {
      if (opts.ignoreCancel) continue;
      cancelled = true;
      await DBOS.runStep(() => inTransaction(res.pool, (c) => requestKill(c, job.runnerId, id)), { name: `kill:${stage}`, ...TRANSIENT_RETRIES });
      continue;
    }
    if ((msg.type === "lost" || msg.type === "result") && msg.taskId !== id) continue; // a late report of an earlier task
    if (msg.type === "lost") throw new RunnerLost(msg.reason);
    if (msg.type !== "result") continue;
    await DBOS.runStep(
      () => markTaskDone(res.pool, msg.taskId, msg.dispatch),
      { name: `settle:${stage}`, ...TRANSIENT_RETRIES },
    );
    if (cancelled || msg.status === "cancelled") throw new JobCancelled("cancelled");
    return unlessWorkspaceGone(msg);
  }
}

/** A stage's result, unless it found the runner without the workspace an earlier stage made (then RunnerLost). */
function unlessWorkspaceGone<R extends { status: string; exitCode: number | null; outputs?: Record<string, string> }>(result: R): R {
  if (foundWorkspaceGone(result)) throw new RunnerLost("the runner no longer has the workspace an earlier stage made (restarted with another work dir?)");
  return result;
}

async function checkTask(res: EngineResources, runnerId: string, taskId: string): Promise<{ offline: boolean; result: TaskResult | null }> {
  const row = await taskWithRunnerStatus(res.pool, runnerId, taskId);
  if (row?.status === "reported" && row.result) return { offline: false, result: row.result };
  return { offline: row?.runner !== "online", result: null };
}

/**
 * An attempt nobody waits for any more (its workflow is gone, cancelled or dead): the task still running on a
 * runner (a hung agent, typically) is killed and settled, so it holds no runner slot, and one not yet handed out
 * never will be. Otherwise the next attempt would share the job's workspace directory with it.
 */
export async function stopAttemptTasks(c: PoolClient, jobId: string, attempt: number): Promise<void> {
  for (const t of await stopAttemptTaskRows(c, jobId, attempt)) await requestKill(c, t.runner_id, t.id);
}
