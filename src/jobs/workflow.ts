import { JOB_DISPATCH_QUEUE, JOBS_QUEUE, MAX_RECOVERY_ATTEMPTS } from "../engine/queues.ts";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { ensureError } from "../domain/errors.ts";
import { isOutage, TRANSIENT_RETRIES } from "../engine/steps.ts";
import { inTransaction } from "../db/pool.ts";
import type { EventPayload } from "../events/catalogue.ts";
import { appendEventsNow, lastLogLines } from "../events/store.ts";
import { markOperationPending } from "../operations/store.ts";
import { onlineRunnerIds } from "../tasks/runner-store.ts";
import { patchScript, prepareScript, verifyScript, commitAndPushScript, cleanupScript } from "../git/scripts.ts";
import { openPullRequest, parseGitHubRemote, pullRequestBody, pullRequestTitle } from "../git/github.ts";
import { claimNextJob, finishJob, returnJobToQueue } from "./claim.ts";
import { noModelError } from "../models/default-model.ts";
import { getProject, type ProjectView } from "../projects/store.ts";
import { workspaceSettings } from "../workspaces/store.ts";
import { repoMounts } from "../git/local-repo.ts";
import { loadJob, lockJobAttempt, recordFailedStage, recordPullRequest, recordPush, requeueForRework, startStage, type JobRecord } from "./store.ts";
import { repoLocationProblem } from "../net/repo-location.ts";
import type { Executor } from "./schemas.ts";
import { agentTask } from "../models/agent-task.ts";
import { engineDeps } from "../engine/context.ts";
import type { TaskSpec } from "../tasks/spec.ts";
import { JobCancelled, RunnerLost, runPinnedTask, stopAttemptTasks } from "./stage-task.ts";

/** A stage that failed for a reason the user should read (verification output, a script error). */
class StageFailed extends Error {}

/** What the job workflow needs of its job and project (the project's view, which never carries the secret). */
type JobContext = Pick<ProjectView, "repo" | "defaultBranch" | "verify" | "onVerifyFailure" | "maxAttempts" | "github" | "agentNetwork"> & {
  job: JobRecord;
  credentialsSecret: string | null;
  /** The project's default model, else the workspace's. */
  defaultModel: string | null;
  /** The verify stage's sandbox has network (the workspace's default for steps). */
  stepNetwork: boolean;
  /** Why the repository may not be used under the server's URL policy now (it may have changed since). */
  repoProblem?: string | null;
};

async function loadContext(jobId: string, attempt: number): Promise<JobContext | null> {
  const { pool, outbound } = engineDeps();
  const job = await loadJob(pool, jobId);
  if (!job || job.status !== "running" || job.attempts !== attempt) return null;
  const p = await getProject(pool, job.workspace_id, job.project_id);
  const settings = await workspaceSettings(pool, job.workspace_id);
  return {
    job,
    repo: p.repo,
    defaultBranch: p.defaultBranch,
    verify: p.verify,
    onVerifyFailure: p.onVerifyFailure,
    maxAttempts: p.maxAttempts,
    github: p.github ?? parseGitHubRemote(p.repo),
    credentialsSecret: p.credentialsSecret,
    defaultModel: p.defaultModel ?? settings.defaultModel,
    // Checkpoints written before these existed lack them: the defaults are the projects' and workspaces'.
    agentNetwork: p.agentNetwork,
    stepNetwork: settings.stepNetwork,
    repoProblem: repoLocationProblem(p.repo, outbound.policy),
  };
}

/** Record a stage change on the job row and as a `stage` event (idempotent per attempt). */
type StageDetail = Omit<EventPayload<"stage">, "stage" | "status" | "attempt">;

function stageEvent(ctx: JobContext, stage: string, status: "started" | "succeeded" | "failed", detail: StageDetail = {}) {
  return DBOS.runStep(
    async () => {
      const { pool } = engineDeps();
      if (status === "started") await startStage(pool, ctx.job.id, stage);
      await appendEventsNow(pool, ctx.job.id, [
        { type: "stage", payload: { stage, status, attempt: ctx.job.attempts, ...detail }, dedupeKey: `stage:${ctx.job.attempts}:${stage}:${status}` },
      ]);
    },
    { name: `stage:${stage}:${status}`, ...TRANSIENT_RETRIES },
  );
}

function agentSpec(executor: Executor, prompt: string, defaultModel: string | null): TaskSpec {
  if (executor.type === "patch") return { command: patchScript(), env: { SHIPYARD_PATCH: executor.diff, SHIPYARD_PROMPT: prompt } };
  if (executor.type === "builtin") {
    const model = executor.model ?? defaultModel;
    if (!model) throw new StageFailed(noModelError("the job's builtin agent").message);
    return agentTask({ ...executor, model }, prompt);
  }
  return agentTask(executor, prompt);
}

/** Usage and cost an agent reported in its outputs (the claude-code mapper writes them), for the stage event. */
function agentUsage(stage: string, outputs: Record<string, string> | undefined): Pick<StageDetail, "inputTokens" | "outputTokens" | "costUsd"> {
  if (stage !== "agent" || !outputs) return {};
  const usage: Pick<StageDetail, "inputTokens" | "outputTokens" | "costUsd"> = {};
  for (const [key, name] of [["usage_input_tokens", "inputTokens"], ["usage_output_tokens", "outputTokens"], ["cost_usd", "costUsd"]] as const) {
    const v = Number(outputs[key]);
    if (outputs[key] !== undefined && Number.isFinite(v)) usage[name] = v;
  }
  return usage;
}

/** The last lines a stage printed (for the verification result in errors and the PR body). */
async function outputTail(jobId: string, stage: string, attempt: number, lines = 40): Promise<string> {
  return (await lastLogLines(engineDeps().pool, jobId, stage, attempt, lines)).join("\n");
}

/**
 * A coding-agent job, one checkpointed step per stage: credentials → prepare the workspace on the runner
 * → the agent → verify → commit and push → pull request → clean up. Its id is `<job>:<attempt>`, so a
 * crash resumes the same attempt; scripts and the PR call check before they create, so nothing is made twice.
 */
async function jobWorkflowImpl(jobId: string, attempt: number, runnerId: string): Promise<string> {
  const outcome = await runJob(jobId, attempt, runnerId);
  // The runner is free again; a job put back in line may go to any runner.
  const runners = outcome === "queued" ? await DBOS.runStep(() => onlineRunners(), { name: "runners", ...TRANSIENT_RETRIES }) : [runnerId];
  for (const id of runners) await startDispatcher(id);
  return outcome;
}

async function onlineRunners(): Promise<string[]> {
  return onlineRunnerIds(engineDeps().pool);
}

async function runJob(jobId: string, attempt: number, runnerId: string): Promise<string> {
  const ctx = await DBOS.runStep(() => loadContext(jobId, attempt), { name: "load", ...TRANSIENT_RETRIES });
  if (!ctx) return "stale";
  const job = { id: jobId, attempt, runnerId, workspaceId: ctx.job.workspace_id };
  const secretEnv: Record<string, string> = ctx.credentialsSecret ? { SHIPYARD_GIT_TOKEN: ctx.credentialsSecret } : {};
  const branch = ctx.job.branch ?? `shipyard/job-${jobId}`;
  let stage = "credentials";
  const run = async (name: string, spec: Omit<TaskSpec, "env"> & { env?: Record<string, string> }, env: Record<string, string> = secretEnv) => {
    stage = name;
    await stageEvent(ctx, name, "started");
    const result = await runPinnedTask(job, name, { ...spec, env: spec.env ?? {} }, env);
    const error = result.status !== "succeeded" && result.error ? { error: result.error } : {};
    await stageEvent(ctx, name, result.status === "succeeded" ? "succeeded" : "failed", { exitCode: result.exitCode, ...error, ...agentUsage(name, result.outputs) });
    return result;
  };
  try {
    await stageEvent(ctx, "credentials", "started");
    const hasCredentials = await DBOS.runStep(
      async () => (ctx.credentialsSecret ? (await engineDeps().secrets.get(job.workspaceId, ctx.credentialsSecret)) !== null : true),
      { name: "credentials", ...TRANSIENT_RETRIES },
    );
    if (!hasCredentials) throw new StageFailed("the project's git credentials are missing from the workspace secrets");
    await stageEvent(ctx, "credentials", "succeeded");

    stage = "prepare";
    if (ctx.repoProblem) throw new StageFailed(`the project's repository is not allowed: ${ctx.repoProblem}`);
    // The git stages reach the remote: network, and a local repository shown as a mount.
    const prepared = await run("prepare", { command: prepareScript({ repo: ctx.repo, defaultBranch: ctx.defaultBranch, branch }), network: true, mounts: repoMounts(ctx.repo, false) });
    if (prepared.status !== "succeeded") throw new StageFailed(`preparing the workspace failed:\n${await tail(jobId, "prepare", attempt)}`);

    stage = "agent";
    const agentTaskSpec = agentSpec(ctx.job.executor as Executor, ctx.job.prompt, ctx.defaultModel);
    const agent = await run("agent", { ...agentTaskSpec, network: ctx.agentNetwork !== false }, agentTaskSpec.secretEnv ?? {});
    if (agent.status !== "succeeded") throw new StageFailed(`the agent failed (${agent.error ?? "error"}):\n${await tail(jobId, "agent", attempt)}`);

    const verified = await run("verify", { command: verifyScript(ctx.verify), network: ctx.stepNetwork === true }, {});
    const verifyOutput = await tail(jobId, "verify", attempt);
    if (verified.status !== "succeeded") {
      if (ctx.onVerifyFailure === "rework" && attempt < ctx.maxAttempts) {
        await cleanup(job, ctx);
        await DBOS.runStep(() => sendToRework(ctx.job, `verification failed:\n${verifyOutput}`), { name: "rework", ...TRANSIENT_RETRIES });
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
    if (pushed.status !== "succeeded") throw new StageFailed(`commit and push failed:\n${await tail(jobId, "push", attempt)}`);
    const commit = pushed.outputs.commit ?? null;
    await DBOS.runStep(
      () => recordPush(engineDeps().pool, jobId, branch, commit),
      { name: "record-branch", ...TRANSIENT_RETRIES },
    );

    stage = "pull_request";
    await stageEvent(ctx, "pull_request", "started");
    const prUrl = await DBOS.runStep(() => pullRequest(ctx, branch, verifyOutput), { name: "pull-request", ...TRANSIENT_RETRIES }).catch((err: Error) => {
      if (isOutage(err)) throw err;
      // Already without the remote's response body (openPullRequest keeps only the status and a reason).
      throw new StageFailed(`opening the pull request failed: ${err.message}`);
    });
    await stageEvent(ctx, "pull_request", "succeeded", { prUrl, branch, commit });

    await cleanup(job, ctx);
    await DBOS.runStep(() => finish(jobId, attempt, "succeeded", null), { name: "finish", ...TRANSIENT_RETRIES });
    return "succeeded";
  } catch (err) {
    if (err instanceof RunnerLost) {
      const outcome = await DBOS.runStep(
        () => inTransaction(engineDeps().pool, (c) => returnJobToQueue(c, jobId, attempt, `runner lost during ${stage}: ${err.message}`, ctx.maxAttempts)),
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
          inTransaction(engineDeps().pool, async (c) => {
            const outcome = await returnJobToQueue(c, jobId, attempt, reason, ctx.maxAttempts);
            if (outcome !== "stale") await stopAttemptTasks(c, jobId, attempt);
            return outcome;
          }),
        { name: "requeue-after-outage", ...TRANSIENT_RETRIES },
      );
    }
    const cancelled = err instanceof JobCancelled;
    const message = cancelled ? "cancelled" : err instanceof StageFailed ? err.message : `internal error in ${stage}: ${(err as Error).message}`;
    if (!cancelled) await stageEvent(ctx, stage, "failed", { error: message.split("\n")[0] });
    await cleanup(job, ctx).catch(() => undefined);
    await DBOS.runStep(() => finish(jobId, attempt, cancelled ? "cancelled" : "failed", message, stage), { name: "finish", ...TRANSIENT_RETRIES });
    return cancelled ? "cancelled" : "failed";
  }
}

const tail = (jobId: string, stage: string, attempt: number) => DBOS.runStep(() => outputTail(jobId, stage, attempt), { name: `tail:${stage}`, ...TRANSIENT_RETRIES });

async function cleanup(job: { id: string; attempt: number; runnerId: string; workspaceId: string }, ctx: JobContext): Promise<void> {
  await stageEvent(ctx, "cleanup", "started");
  const done = await runPinnedTask(job, "cleanup", { command: cleanupScript(), env: {} }, {}, { ignoreCancel: true }).catch((err: Error) => ({
    status: "failed" as const,
    error: err.message,
  }));
  await stageEvent(ctx, "cleanup", done.status === "succeeded" ? "succeeded" : "failed");
}

/** Settle this attempt (not a newer one); a failed job keeps the stage it failed in, not `cleanup`. */
async function finish(jobId: string, attempt: number, status: "succeeded" | "failed" | "cancelled", error: string | null, stage?: string): Promise<void> {
  await inTransaction(engineDeps().pool, async (c) => {
    const job = await lockJobAttempt(c, jobId, attempt);
    if (!job || job.status !== "running") return;
    if (stage && status !== "succeeded") await recordFailedStage(c, jobId, stage);
    await finishJob(c, job, status, error);
  });
}

async function sendToRework(job: JobRecord, reason: string): Promise<void> {
  await inTransaction(engineDeps().pool, async (c) => {
    await requeueForRework(c, job, reason);
    await markOperationPending(c, job.id);
  });
  await appendEventsNow(engineDeps().pool, job.id, [
    { type: "status", payload: { status: "queued", queue: "rework", reason: reason.split("\n")[0] }, dedupeKey: `status:rework:${job.attempts}` },
  ]);
}

/** Open (or find) the pull request on GitHub; for other remotes the pushed branch is the result. */
async function pullRequest(ctx: JobContext, branch: string, verifyOutput: string): Promise<string | null> {
  if (!ctx.github) return null;
  const { secrets, outbound, githubApiUrl } = engineDeps();
  const token = ctx.credentialsSecret ? await secrets.get(ctx.job.workspace_id, ctx.credentialsSecret) : null;
  const pr = await openPullRequest({
    // A project's own apiUrl is checked (again: DNS and the policy may have changed since it was accepted).
    apiUrl: ctx.github.apiUrl ?? githubApiUrl,
    outbound: ctx.github.apiUrl ? outbound : null,
    token: token ?? "",
    owner: ctx.github.owner,
    repo: ctx.github.repo,
    head: branch,
    base: ctx.defaultBranch,
    title: pullRequestTitle(ctx.job.prompt),
    body: pullRequestBody({
      prompt: ctx.job.prompt,
      summary: `Shipyard job ${ctx.job.id}, attempt ${ctx.job.attempts}.`,
      verification: { commands: ctx.verify, passed: true, outputTail: verifyOutput },
    }),
  });
  await recordPullRequest(engineDeps().pool, ctx.job.id, pr.url);
  return pr.url;
}

export const jobWorkflow = DBOS.registerWorkflow(jobWorkflowImpl, { name: "shipyard.job", maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });

// The dispatcher lives beside the job workflow because each starts the other: a dispatcher starts the job it
// claimed, a finished job starts a dispatcher for the runner it freed.

/** Claim the next job for a runner that is free and start its workflow on the runner's partition. */
async function dispatchImpl(runnerId: string): Promise<string | null> {
  const { pool, jobs } = engineDeps();
  const job = await DBOS.runStep(() => inTransaction(pool, (c) => claimNextJob(c, runnerId, jobs.onePerWorkspace)), { name: "claim", ...TRANSIENT_RETRIES });
  if (!job) return null;
  await DBOS.startWorkflow(jobWorkflow, {
    workflowID: job.workflow_id!,
    queueName: JOBS_QUEUE,
    enqueueOptions: { queuePartitionKey: runnerId },
  })(job.id, job.attempts, runnerId);
  return job.id;
}

const dispatchWorkflow = DBOS.registerWorkflow(dispatchImpl, { name: "shipyard.job-dispatch" });

/** Offer a runner the next job: a dispatcher on the runner's partition (one at a time, so claims never race). */
export async function startDispatcher(runnerId: string): Promise<void> {
  await DBOS.startWorkflow(dispatchWorkflow, { queueName: JOB_DISPATCH_QUEUE, enqueueOptions: { queuePartitionKey: runnerId } })(runnerId);
}
