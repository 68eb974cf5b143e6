import { MAX_RECOVERY_ATTEMPTS } from "../engine/queues.ts";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { ensureError } from "../domain/errors.ts";
import type { LocalWorkflows } from "../engine/control.ts";
import type { EngineResources } from "../engine/resources.ts";
import { isOutage, TRANSIENT_RETRIES } from "../engine/steps.ts";
import { inTransaction } from "../db/pool.ts";
import { onlineRunnerIds } from "../tasks/runner-store.ts";
import { prepareScript, verifyScript, commitAndPushScript, REQUIRE_WORKSPACE } from "../git/scripts.ts";
import { pullRequestTitle } from "../git/github.ts";
import { repoMounts } from "../git/local-repo.ts";
import { returnJobToQueue } from "./claim.ts";
import { JOB_WORKFLOW, startDispatcher } from "./dispatch.ts";
import type { Executor } from "./schemas.ts";
import { agentSpec, agentUsage, cleanup, finish, loadContext, pullRequest, sendToRework, StageFailed, stageEvent, tail } from "./stages.ts";
import { recordPush } from "./store.ts";
import { emitJobFinished } from "./webhook.ts";
import type { TaskSpec } from "../tasks/spec.ts";
import { JobCancelled, RunnerLost, runPinnedTask, stopAttemptTasks } from "./stage-task.ts";

/**
 * Register the coding-agent job, one checkpointed step per stage: credentials → prepare the workspace on the
 * runner → the agent → verify → commit and push → pull request → clean up. Its id is `<job>:<attempt>`, so a
 * crash resumes the same attempt; scripts and the PR call check before they create, so nothing is made twice.
 */
export function registerJobWorkflow(res: EngineResources, workflows: LocalWorkflows): void {
  async function jobWorkflowImpl(jobId: string, attempt: number, runnerId: string): Promise<string> {
    const outcome = await runJob(res, jobId, attempt, runnerId);
    // The runner is free again; a job put back in line may go to any runner.
    const runners = outcome === "queued" ? await DBOS.runStep(() => onlineRunnerIds(res.pool), { name: "runners", ...TRANSIENT_RETRIES }) : [runnerId];
    for (const id of runners) await startDispatcher(res.workflows, id);
    // Last, so a workflow recovered from before this step existed replays its recorded steps unchanged.
    if (outcome === "succeeded" || outcome === "failed") await emitJobFinished(res, jobId);
    return outcome;
  }
  workflows.register(JOB_WORKFLOW, jobWorkflowImpl, { maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });
}

async function runJob(res: EngineResources, jobId: string, attempt: number, runnerId: string): Promise<string> {
  const ctx = await DBOS.runStep(() => loadContext(res, jobId, attempt), { name: "load", ...TRANSIENT_RETRIES });
  if (!ctx) return "stale";
  const job = { id: jobId, attempt, runnerId, workspaceId: ctx.job.workspace_id };
  const secretEnv: Record<string, string> = ctx.credentialsSecret ? { SHIPYARD_GIT_TOKEN: ctx.credentialsSecret } : {};
  const branch = ctx.job.branch ?? `shipyard/job-${jobId}`;
  let stage = "credentials";
  const run = async (name: string, spec: Omit<TaskSpec, "env"> & { env?: Record<string, string> }, env: Record<string, string> = secretEnv) => {
    stage = name;
    await stageEvent(res, ctx, name, "started");
    // Every stage after prepare works on its clone: one that finds the workspace empty is the runner's loss (see REQUIRE_WORKSPACE).
    const command = name === "prepare" ? spec.command : `${REQUIRE_WORKSPACE}\n${spec.command}`;
    const result = await runPinnedTask(res, job, name, { ...spec, command, env: spec.env ?? {} }, env);
    const error = result.status !== "succeeded" && result.error ? { error: result.error } : {};
    await stageEvent(res, ctx, name, result.status === "succeeded" ? "succeeded" : "failed", { exitCode: result.exitCode, ...error, ...agentUsage(name, result.outputs) });
    return result;
  };
  try {
    await stageEvent(res, ctx, "credentials", "started");
    const hasCredentials = await DBOS.runStep(
      async () => (ctx.credentialsSecret ? (await res.secrets.get(job.workspaceId, ctx.credentialsSecret)) !== null : true),
      { name: "credentials", ...TRANSIENT_RETRIES },
    );
    if (!hasCredentials) throw new StageFailed("the project's git credentials are missing from the workspace secrets");
    await stageEvent(res, ctx, "credentials", "succeeded");

    stage = "prepare";
    if (ctx.repoProblem) throw new StageFailed(`the project's repository is not allowed: ${ctx.repoProblem}`);
    // The git stages reach the remote: network, and a local repository shown as a mount.
    const prepared = await run("prepare", { command: prepareScript({ repo: ctx.repo, defaultBranch: ctx.defaultBranch, branch }), network: true, mounts: repoMounts(ctx.repo, false) });
    if (prepared.status !== "succeeded") throw new StageFailed(`preparing the workspace failed:\n${await tail(res, jobId, "prepare", attempt)}`);

    stage = "agent";
    const agentTaskSpec = agentSpec(ctx.job.executor as Executor, ctx.job.prompt, ctx.defaultModel);
    const agent = await run("agent", { ...agentTaskSpec, network: ctx.agentNetwork !== false }, agentTaskSpec.secretEnv ?? {});
    if (agent.status !== "succeeded") throw new StageFailed(`the agent failed (${agent.error ?? "error"}):\n${await tail(res, jobId, "agent", attempt)}`);

    const verified = await run("verify", { command: verifyScript(ctx.verify), network: ctx.stepNetwork === true }, {});
    const verifyOutput = await tail(res, jobId, "verify", attempt);
    if (verified.status !== "succeeded") {
      if (ctx.onVerifyFailure === "rework" && attempt < ctx.maxAttempts) {
        await cleanup(res, job, ctx);
        await DBOS.runStep(() => sendToRework(res, ctx.job, `verification failed:\n${verifyOutput}`), { name: "rework", ...TRANSIENT_RETRIES });
        return "rework";
      }
      throw new StageFailed(`verification failed:\n${verifyOutput}`);
    }

    const pushed = await run("push", {
      command: commitAndPushScript({ branch, defaultBranch: ctx.defaultBranch }),
      network: true,
      mounts: repoMounts(ctx.repo, true),
      env: { SHIPYARD_COMMIT_MESSAGE: `${pullRequestTitle(ctx.job.prompt)}\n\nShipyard job ${jobId}` },
    });
    if (pushed.status !== "succeeded") throw new StageFailed(`commit and push failed:\n${await tail(res, jobId, "push", attempt)}`);
    const commit = pushed.outputs.commit ?? null;
    await DBOS.runStep(
      () => recordPush(res.pool, jobId, branch, commit),
      { name: "record-branch", ...TRANSIENT_RETRIES },
    );

    stage = "pull_request";
    await stageEvent(res, ctx, "pull_request", "started");
    const prUrl = await DBOS.runStep(() => pullRequest(res, ctx, branch, verifyOutput), { name: "pull-request", ...TRANSIENT_RETRIES }).catch((err: Error) => {
      if (isOutage(err)) throw err;
      // Already without the remote's response body (openPullRequest keeps only the status and a reason).
      throw new StageFailed(`opening the pull request failed: ${err.message}`);
    });
    await stageEvent(res, ctx, "pull_request", "succeeded", { prUrl, branch, commit });

    await cleanup(res, job, ctx);
    await DBOS.runStep(() => finish(res, jobId, attempt, "succeeded", null), { name: "finish", ...TRANSIENT_RETRIES });
    return "succeeded";
  } catch (err) {
    if (err instanceof RunnerLost) {
      const outcome = await DBOS.runStep(
        () => inTransaction(res.pool, (c) => returnJobToQueue(c, jobId, attempt, `runner lost during ${stage}: ${err.message}`, ctx.maxAttempts)),
        { name: "return-to-queue", ...TRANSIENT_RETRIES },
      );
      return outcome;
    }
    if (isOutage(err)) {
      // The database (or another service a stage needs) stayed away past the stage's retries: that is not the
      // job's failure. It goes back to the front of its queue, as after a lost runner, and its task is stopped.
      const reason = `${stage} interrupted (${ensureError(err).message.slice(0, 300)})`;
      return DBOS.runStep(
        () =>
          inTransaction(res.pool, async (c) => {
            const outcome = await returnJobToQueue(c, jobId, attempt, reason, ctx.maxAttempts);
            if (outcome !== "stale") await stopAttemptTasks(c, jobId, attempt);
            return outcome;
          }),
        { name: "requeue-after-outage", ...TRANSIENT_RETRIES },
      );
    }
    const cancelled = err instanceof JobCancelled;
    const message = cancelled ? "cancelled" : err instanceof StageFailed ? err.message : `internal error in ${stage}: ${(err as Error).message}`;
    if (!cancelled) await stageEvent(res, ctx, stage, "failed", { error: message.split("\n")[0] });
    await cleanup(res, job, ctx).catch(() => undefined);
    await DBOS.runStep(() => finish(res, jobId, attempt, cancelled ? "cancelled" : "failed", message, stage), { name: "finish", ...TRANSIENT_RETRIES });
    return cancelled ? "cancelled" : "failed";
  }
}

