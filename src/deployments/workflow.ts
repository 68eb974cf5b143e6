import { DBOS } from "@dbos-inc/dbos-sdk";
import type { LocalWorkflows } from "../engine/control.ts";
import { MAX_RECOVERY_ATTEMPTS } from "../engine/queues.ts";
import type { EngineResources } from "../engine/resources.ts";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import { ensureError } from "../domain/errors.ts";
import type { DeploymentPhase } from "../events/catalogue.ts";
import { repoMounts } from "../git/local-repo.ts";
import { cleanupScript } from "../git/scripts.ts";
import { JobCancelled, RunnerLost, runPinnedTask, type PinnedJob } from "../jobs/stage-task.ts";
import { RUN_TOPIC, type RunMessage } from "../tasks/messages.ts";
import type { TaskSpec } from "../tasks/spec.ts";
import { appName, type AppDescription } from "./generators/index.ts";
import type { DeploymentTarget } from "./schemas.ts";
import { deployCommitScript, deployExecuteScript, deployPrepareScript, fileEnv } from "./scripts.ts";
import { recordDeployment } from "./store.ts";
import { targetSecrets } from "./validate.ts";
import {
  announceDeployment, checkHealth, claimDeploymentRunner, deploymentPullRequest, deploymentUrl, DeploymentFailed, finishDeployment, generateFiles, loadDeploymentContext,
  markDeploymentRunning, stepEvent, validateDeployment, type DeploymentContext,
} from "./steps.ts";

/** The DBOS name of the deployment workflow (its id is the deployment's). */
export const DEPLOYMENT_WORKFLOW = "shipyard.deployment";

/** Runners a deployment may lose before it fails. */
const RUNNER_ATTEMPTS = 3;

/** The health check's tries, one a second (each waits up to 5 s for an answer): the target's bound on how long the URL may take to answer. */
const healthRetries = (seconds: number) => ({ retriesAllowed: seconds > 1, maxAttempts: seconds, intervalSeconds: 1, backoffRate: 1 });

/** What the runner's stages made. */
interface Made {
  commit: string | null;
  branch: string | null;
  prUrl: string | null;
  deploymentUrl: string | null;
}

/**
 * Register the deployment: validate the config and target → prepare (clone and detect, on a runner) → generate
 * the files → generate mode: commit them (one commit on the deployment branch with a pull request on GitHub, or
 * on the default branch) / execute mode: run the tool, then check the URL answers → final status. Every side
 * effect is a checkpointed step or a pinned task with a derived id, and the commit is found again by its trailer,
 * so neither a re-run nor a crash makes a second commit or pull request.
 */
export function registerDeploymentWorkflow(res: EngineResources, workflows: LocalWorkflows): void {
  async function deploymentWorkflowImpl(id: string): Promise<string> {
    const ctx = await DBOS.runStep(() => loadDeploymentContext(res, id), { name: "load", ...TRANSIENT_RETRIES });
    if (!ctx) return "stale";
    const at: { step: DeploymentPhase | null } = { step: null };
    let job: PinnedJob | null = null;
    try {
      await markDeploymentRunning(res, ctx);
      await announceDeployment(res, ctx, "deployment.started");
      at.step = "validate";
      await stepEvent(res, ctx, "validate", "in_progress", "checking the config and target");
      const target = await DBOS.runStep(() => validateDeployment(res, ctx), { name: "validate", ...TRANSIENT_RETRIES });
      await stepEvent(res, ctx, "validate", "complete", "the config and target are valid");

      let made: Made;
      for (let attempt = 1; ; attempt++) {
        const runnerId = await claimDeploymentRunner(res, ctx);
        job = { id, attempt, runnerId, workspaceId: ctx.workspaceId };
        await DBOS.runStep(() => recordDeployment(res.pool, id, { runnerId }), { name: `runner:${attempt}`, ...TRANSIENT_RETRIES });
        try {
          made = await runnerSteps(res, ctx, job, target, at);
          break;
        } catch (err) {
          if (!(err instanceof RunnerLost) || attempt >= RUNNER_ATTEMPTS) throw err;
          job = null;
        }
      }

      if (ctx.mode === "execute") {
        await cleanupWorkspace(res, job);
        job = null;
        at.step = "health_check";
        await throwIfCancelled();
        const seconds = target?.healthCheckSeconds ?? 0;
        if (made.deploymentUrl && seconds > 0) {
          const url = made.deploymentUrl;
          await stepEvent(res, ctx, "health_check", "in_progress", `waiting up to ${seconds} s for ${url} to answer`);
          // A URL the operator's policy refuses fails at once, saying how to allow it: no retry changes that.
          await DBOS.runStep(() => res.outbound.check(url, "the deployment URL"), { name: "health-url" }).catch((err: unknown) => {
            throw new DeploymentFailed(ensureError(err).message);
          });
          const status = await DBOS.runStep(() => checkHealth(res, url), { name: "health-check", ...healthRetries(seconds) }).catch((err: unknown) => {
            throw new DeploymentFailed(`the deployment did not answer at ${url} within ${seconds} s: ${lastCause(err)}`);
          });
          await stepEvent(res, ctx, "health_check", "complete", `${url} answered ${status}`);
        } else {
          await stepEvent(res, ctx, "health_check", "complete", made.deploymentUrl ? "skipped (healthCheckSeconds: 0)" : "no URL to check: give the target a url, or the config an ingress host");
        }
      }
      await cleanupWorkspace(res, job);
      await finishDeployment(res, ctx, "succeeded", null, made);
      await announceDeployment(res, ctx, "deployment.completed", { ...made });
      return "succeeded";
    } catch (err) {
      const cancelled = err instanceof JobCancelled;
      const e = ensureError(err);
      const message = err instanceof RunnerLost ? `the runner went away ${RUNNER_ATTEMPTS} times during the deployment (${e.message}); start it again` : e.message;
      if (at.step && !cancelled) await stepEvent(res, ctx, at.step, "failed", message);
      if (job && !(err instanceof RunnerLost)) await cleanupWorkspace(res, job);
      await finishDeployment(res, ctx, cancelled ? "cancelled" : "failed", cancelled ? "cancelled" : message, {});
      await announceDeployment(res, ctx, "deployment.failed", { status: cancelled ? "cancelled" : "failed", step: at.step, error: cancelled ? "cancelled" : message });
      return cancelled ? "cancelled" : "failed";
    }
  }
  workflows.register(DEPLOYMENT_WORKFLOW, deploymentWorkflowImpl, { maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });
}

/** Prepare, generate and commit or execute, on the deployment's runner (`job`). */
async function runnerSteps(res: EngineResources, ctx: DeploymentContext, job: PinnedJob, target: DeploymentTarget | null, at: { step: DeploymentPhase | null }): Promise<Made> {
  const stage = (name: string, spec: Omit<TaskSpec, "env"> & { env?: Record<string, string> }, secretEnv: Record<string, string> = {}) =>
    runPinnedTask(res, job, name, { ...spec, env: spec.env ?? {} }, secretEnv);
  at.step = "prepare";
  await stepEvent(res, ctx, "prepare", "in_progress", "cloning the repository and detecting the app", job.attempt);
  const prepared = await stage("prepare", { command: deployPrepareScript({ repo: ctx.repo, defaultBranch: ctx.defaultBranch, name: ctx.projectName }), network: true, mounts: repoMounts(ctx.repo, false) }, ctx.gitEnv);
  if (prepared.status !== "succeeded") throw new DeploymentFailed(`preparing the project's clone failed: ${prepared.error ?? "error"}`);
  const detected = JSON.parse(prepared.outputs.detected || "{}") as Partial<AppDescription>;
  await stepEvent(res, ctx, "prepare", "complete", `detected ${Object.keys(detected).join(", ") || "nothing"}`, job.attempt);

  at.step = "generate";
  await stepEvent(res, ctx, "generate", "in_progress", `rendering the ${ctx.generator} files`, job.attempt);
  const { config, files } = await DBOS.runStep(() => generateFiles(res, ctx, detected), { name: "generate", ...TRANSIENT_RETRIES });
  await stepEvent(res, ctx, "generate", "complete", `${files.length} file${files.length === 1 ? "" : "s"} generated`, job.attempt);

  if (ctx.mode === "generate") {
    at.step = "commit";
    const branch = ctx.direct ? ctx.defaultBranch : `shipyard/deploy-${ctx.generator}`;
    await stepEvent(res, ctx, "commit", "in_progress", `committing to ${branch}`, job.attempt);
    const committed = await stage(
      "commit",
      {
        command: deployCommitScript({ defaultBranch: ctx.defaultBranch, branch, deploymentId: ctx.id, files }),
        network: true,
        mounts: repoMounts(ctx.repo, true),
        env: { ...fileEnv(files), SHIPYARD_COMMIT_MESSAGE: `Deployment files: ${ctx.generator} for ${ctx.projectName}` },
      },
      ctx.gitEnv,
    );
    if (committed.status !== "succeeded") throw new DeploymentFailed(`committing the deployment files failed: ${committed.error ?? "error"}`);
    const commit = committed.outputs.commit || null;
    const ahead = committed.outputs.ahead === "1";
    const prUrl = !ctx.direct && ahead ? await DBOS.runStep(() => deploymentPullRequest(res, ctx, branch), { name: "pull-request", ...TRANSIENT_RETRIES }) : null;
    await DBOS.runStep(() => recordDeployment(res.pool, ctx.id, { ...(commit ? { commit } : {}), branch }), { name: "record-commit", ...TRANSIENT_RETRIES });
    const said = commit ? `committed ${commit.slice(0, 12)} to ${branch}` : `unchanged: nothing to commit on ${branch}`;
    await stepEvent(res, ctx, "commit", "complete", prUrl ? `${said}, pull request ${prUrl}` : said, job.attempt);
    return { commit, branch, prUrl, deploymentUrl: null };
  }

  at.step = "execute";
  const resolved = target!;
  await stepEvent(res, ctx, "execute", "in_progress", `running ${toolName(ctx)}`, job.attempt);
  const plainVars = resolved.type === "terraform" ? Object.fromEntries(Object.entries(resolved.vars).map(([k, v]) => [`TF_VAR_${k}`, v])) : {};
  const executed = await stage("execute", { command: deployExecuteScript({ generator: ctx.generator, files, target: resolved, release: appName(config) }), network: true, env: { ...fileEnv(files), ...plainVars } }, targetSecrets(resolved));
  if (executed.status !== "succeeded") throw new DeploymentFailed(`${toolName(ctx)} failed: ${executed.error ?? "error"}`);
  const url = deploymentUrl(config, resolved);
  if (url) await DBOS.runStep(() => recordDeployment(res.pool, ctx.id, { deploymentUrl: url }), { name: "record-url", ...TRANSIENT_RETRIES });
  await stepEvent(res, ctx, "execute", "complete", `${toolName(ctx)} succeeded${url ? `: ${url}` : ""}`, job.attempt);
  return { commit: null, branch: null, prUrl: null, deploymentUrl: url };
}

/** The reason of the health check's last try (DBOS wraps the tries' errors once they run out). */
function lastCause(err: unknown): string {
  const e = ensureError(err) as Error & { errors?: unknown[] };
  const last = Array.isArray(e.errors) && e.errors.length > 0 ? ensureError(e.errors.at(-1)) : e;
  const cause = (last as { cause?: unknown }).cause;
  return cause instanceof Error ? `${last.message} (${cause.message})` : last.message;
}

const toolName = (ctx: DeploymentContext) => ({ "docker-compose": "docker compose up", helm: "helm upgrade --install", kubernetes: "kubectl apply", terraform: "terraform apply" })[ctx.generator];

/** A cancel that arrived while no stage was running (the health check runs on the server) ends the deployment here. */
async function throwIfCancelled(): Promise<void> {
  for (;;) {
    const msg = await DBOS.recv<RunMessage>(RUN_TOPIC, 0);
    if (msg === null) return;
    if (msg.type === "cancel") throw new JobCancelled("cancelled");
  }
}

/** Empty the deployment's workspace on its runner (a failure to clean is only logged). */
async function cleanupWorkspace(res: EngineResources, job: PinnedJob | null): Promise<void> {
  if (!job) return;
  const cleaned = await runPinnedTask(res, job, "cleanup", { command: cleanupScript(), env: {} }, {}, { ignoreCancel: true }).catch((err: unknown) => ({ status: "failed", error: ensureError(err).message }));
  if (cleaned.status !== "succeeded") res.log.warn({ deploymentId: job.id, error: cleaned.error }, "could not clean up the deployment's workspace");
}
