// The stages of a job's attempt, each one or more checkpointed steps of the job workflow (src/jobs/workflow.ts).
import { DBOS } from "@dbos-inc/dbos-sdk";
import type { FinalStatus } from "../domain/statuses.ts";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import type { EngineResources } from "../engine/resources.ts";
import { inTransaction } from "../db/pool.ts";
import type { EventPayload } from "../events/catalogue.ts";
import { appendEventsNow, lastLogLines } from "../events/store.ts";
import { markOperationPending } from "../operations/store.ts";
import { cleanupScript, patchScript } from "../git/scripts.ts";
import { openPullRequest, parseGitHubRemote, pullRequestBody, pullRequestTitle } from "../git/github.ts";
import { finishJob } from "./claim.ts";
import { noModelError } from "../models/default-model.ts";
import { getProject, type ProjectView } from "../projects/store.ts";
import { workspaceSettings } from "../workspaces/store.ts";
import { loadJob, lockJobAttempt, recordFailedStage, recordPullRequest, requeueForRework, startStage, type JobRecord } from "./store.ts";
import { repoLocationProblem } from "../net/repo-location.ts";
import type { Executor } from "./schemas.ts";
import { agentTask } from "../models/agent-task.ts";
import type { TaskSpec } from "../tasks/spec.ts";
import { runPinnedTask, type PinnedJob } from "./stage-task.ts";

/** A stage that failed for a reason the user should read (verification output, a script error). */
export class StageFailed extends Error {}

/** What the job workflow needs of its job and project (the project's view, which never carries the secret). */
export type JobContext = Pick<ProjectView, "repo" | "defaultBranch" | "verify" | "onVerifyFailure" | "maxAttempts" | "github" | "agentNetwork"> & {
  job: JobRecord;
  credentialsSecret: string | null;
  /** The project's default model, else the workspace's. */
  defaultModel: string | null;
  /** The verify stage's sandbox has network (the workspace's default for steps). */
  stepNetwork: boolean;
  /** Why the repository may not be used under the server's URL policy now (it may have changed since). */
  repoProblem?: string | null;
};

/** The job (at this attempt, still running) and what its project and workspace say; null when it is stale. */
export async function loadContext(res: EngineResources, jobId: string, attempt: number): Promise<JobContext | null> {
  const { pool, outbound } = res;
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
    // Shipyard's own repository (a project made from a template) is not the user's local path.
    repoProblem: p.managedRepo ? null : repoLocationProblem(p.repo, outbound.policy),
  };
}

/** What a `stage` event says besides the stage, its status and the attempt. */
export type StageDetail = Omit<EventPayload<"stage">, "stage" | "status" | "attempt">;

/** Record a stage change on the job row and as a `stage` event (idempotent per attempt). */
export function stageEvent(res: EngineResources, ctx: JobContext, stage: string, status: "started" | "succeeded" | "failed", detail: StageDetail = {}) {
  return DBOS.runStep(
    async () => {
      const { pool } = res;
      if (status === "started") await startStage(pool, ctx.job.id, stage);
      await appendEventsNow(pool, ctx.job.id, [
        { type: "stage", payload: { stage, status, attempt: ctx.job.attempts, ...detail }, dedupeKey: `stage:${ctx.job.attempts}:${stage}:${status}` },
      ]);
    },
    { name: `stage:${stage}:${status}`, ...TRANSIENT_RETRIES },
  );
}

/** The task of a job's agent stage. */
export function agentSpec(executor: Executor, prompt: string, defaultModel: string | null): TaskSpec {
  if (executor.type === "patch") return { command: patchScript(), env: { SHIPYARD_PATCH: executor.diff, SHIPYARD_PROMPT: prompt } };
  if (executor.type === "builtin") {
    const model = executor.model ?? defaultModel;
    if (!model) throw new StageFailed(noModelError("the job's builtin agent").message);
    return agentTask({ ...executor, model }, prompt);
  }
  return agentTask(executor, prompt);
}

/** Usage and cost an agent reported in its outputs (the claude-code mapper writes them), for the stage event. */
export function agentUsage(stage: string, outputs: Record<string, string> | undefined): Pick<StageDetail, "inputTokens" | "outputTokens" | "costUsd"> {
  if (stage !== "agent" || !outputs) return {};
  const usage: Pick<StageDetail, "inputTokens" | "outputTokens" | "costUsd"> = {};
  for (const [key, name] of [["usage_input_tokens", "inputTokens"], ["usage_output_tokens", "outputTokens"], ["cost_usd", "costUsd"]] as const) {
    const v = Number(outputs[key]);
    if (outputs[key] !== undefined && Number.isFinite(v)) usage[name] = v;
  }
  return usage;
}

/** The last lines a stage printed (for the verification result in errors and the PR body). */
async function outputTail(res: EngineResources, jobId: string, stage: string, attempt: number, lines = 40): Promise<string> {
  return (await lastLogLines(res.pool, jobId, stage, attempt, lines)).join("\n");
}

/** The last lines a stage printed, as a checkpointed step. */
export const tail = (res: EngineResources, jobId: string, stage: string, attempt: number) => DBOS.runStep(() => outputTail(res, jobId, stage, attempt), { name: `tail:${stage}`, ...TRANSIENT_RETRIES });

/** The cleanup stage: the job's workspace on its runner is removed (a cancel does not stop it). */
export async function cleanup(res: EngineResources, job: PinnedJob, ctx: JobContext): Promise<void> {
  await stageEvent(res, ctx, "cleanup", "started");
  const done = await runPinnedTask(res, job, "cleanup", { command: cleanupScript(), env: {} }, {}, { ignoreCancel: true }).catch((err: Error) => ({
    status: "failed" as const,
    error: err.message,
  }));
  await stageEvent(res, ctx, "cleanup", done.status === "succeeded" ? "succeeded" : "failed");
}

/** Settle this attempt (not a newer one); a failed job keeps the stage it failed in, not `cleanup`. */
export async function finish(res: EngineResources, jobId: string, attempt: number, status: FinalStatus, error: string | null, stage?: string): Promise<void> {
  await inTransaction(res.pool, async (c) => {
    const job = await lockJobAttempt(c, jobId, attempt);
    if (!job || job.status !== "running") return;
    if (stage && status !== "succeeded") await recordFailedStage(c, jobId, stage);
    await finishJob(c, job, status, error);
  });
}

/** Send the job to the end of its rework queue, with the reason. */
export async function sendToRework(res: EngineResources, job: JobRecord, reason: string): Promise<void> {
  await inTransaction(res.pool, async (c) => {
    await requeueForRework(c, job, reason);
    await markOperationPending(c, job.id);
  });
  await appendEventsNow(res.pool, job.id, [
    { type: "status", payload: { status: "queued", queue: "rework", reason: reason.split("\n")[0] }, dedupeKey: `status:rework:${job.attempts}` },
  ]);
}

/** Open (or find) the pull request on GitHub; for other remotes the pushed branch is the result. */
export async function pullRequest(res: EngineResources, ctx: JobContext, branch: string, verifyOutput: string): Promise<string | null> {
  if (!ctx.github) return null;
  const { secrets, outbound, githubApiUrl } = res;
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
  await recordPullRequest(res.pool, ctx.job.id, pr.url);
  return pr.url;
}

