import { DBOS } from "@dbos-inc/dbos-sdk";
import { MAX_RECOVERY_ATTEMPTS } from "../engine/queues.ts";
import type { LocalWorkflows } from "../engine/control.ts";
import type { EngineResources } from "../engine/resources.ts";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import { ensureError } from "../domain/errors.ts";
import { buildCommitScript, buildPrepareScript, changedFilesScript } from "../git/build-scripts.ts";
import { cleanupScript } from "../git/scripts.ts";
import { repoMounts } from "../git/local-repo.ts";
import { JobCancelled, RunnerLost, runPinnedTask, type PinnedJob } from "../jobs/stage-task.ts";
import type { TaskSpec } from "../tasks/spec.ts";
import type { BuildPhase } from "../events/catalogue.ts";
import { loadCatalogue } from "../projects/templates.ts";
import { fixPrompt, planBuild, taskPrompt } from "./plan.ts";
import { announceBuild } from "./webhook.ts";
import { BuildFailed, buildAgentSpec, claimRunner, finishBuild, loadBuildContext, markBuildRunning, phaseEvent, publishBuild, recordPlan, taskEvent, testBuild, type BuildContext } from "./phases.ts";

/** The DBOS name of the build workflow (its id is the build's). */
export const BUILD_WORKFLOW = "shipyard.build";

/**
 * Register the build: prepare the project's clone on a runner → plan (one model call) → implement (the coding
 * agent, task by task) → test (the template's build and verify commands, then the preview check in Chromium; a
 * failure goes back to the agent a bounded number of times) → commit and push one commit on the default branch →
 * deploy (publish the checked output as the next preview version, and point staging at it). Every side effect is
 * a checkpointed step or a pinned task with a derived id, so a crash resumes at the phase it was in.
 */
export function registerBuildWorkflow(res: EngineResources, workflows: LocalWorkflows): void {
  const templates = loadCatalogue();
  async function buildWorkflowImpl(buildId: string): Promise<string> {
    const ctx = await DBOS.runStep(() => loadBuildContext(res, templates, buildId), { name: "load", ...TRANSIENT_RETRIES });
    if (!ctx) return "stale";
    let phase: BuildPhase | null = null;
    let job: PinnedJob | null = null;
    try {
      const runnerId = await claimRunner(res, ctx);
      job = { id: buildId, attempt: 1, runnerId, workspaceId: ctx.workspaceId };
      await markBuildRunning(res, ctx, runnerId);
      await announceBuild(res, ctx, "build.started", { runnerId });
      const stage = stageRunner(res, job, ctx);

      const prepared = await stage("prepare", { command: buildPrepareScript({ repo: ctx.repo, defaultBranch: ctx.defaultBranch }), network: true, mounts: repoMounts(ctx.repo, false) }, ctx.gitEnv);
      if (prepared.status !== "succeeded") throw new BuildFailed(`preparing the project's clone failed: ${prepared.error ?? "error"}`);
      const base = prepared.outputs.base ?? "";

      if (ctx.prompt !== null) {
        phase = "plan";
        await phaseEvent(res, ctx, "plan", "in_progress");
        const plan = await DBOS.runStep(() => planBuild(res, { ...ctx, model: ctx.model!, prompt: ctx.prompt! }), { name: "plan" });
        await recordPlan(res, ctx, plan.tasks);
        await announceBuild(res, ctx, "build.plan_generated", { tasks: plan.tasks });
        await phaseEvent(res, ctx, "plan", "complete", { message: `${plan.tasks.length} task${plan.tasks.length === 1 ? "" : "s"}` });

        phase = "implement";
        await phaseEvent(res, ctx, "implement", "in_progress");
        for (let i = 0; i < plan.tasks.length; i++) {
          await taskEvent(res, ctx, "task_started", plan.tasks, i);
          await announceBuild(res, ctx, "build.task_started", { index: i + 1, total: plan.tasks.length, title: plan.tasks[i]!.title }, String(i + 1));
          const agent = await stage(`task-${i + 1}`, buildAgentSpec(ctx, taskPrompt(ctx.prompt, plan.tasks, i)));
          if (agent.status !== "succeeded") throw new BuildFailed(`the agent failed on task ${i + 1} (${plan.tasks[i]!.title}): ${agent.error ?? "error"}`);
          await taskEvent(res, ctx, "task_completed", plan.tasks, i, agent.outputs.text);
          await announceBuild(res, ctx, "build.task_completed", { index: i + 1, total: plan.tasks.length, title: plan.tasks[i]!.title }, String(i + 1));
        }
        const changes = await stage("changes", { command: changedFilesScript(), env: { SHIPYARD_BASE: base } });
        if (changes.status !== "succeeded") throw new BuildFailed(`reading the agent's changes failed: ${changes.error ?? "error"}`);
        if (Number(changes.outputs.changed ?? "0") === 0) throw new BuildFailed("the implement phase changed no file: the agent made no edits, so there is nothing to build");
        await phaseEvent(res, ctx, "implement", "complete", { message: `${changes.outputs.changed} files changed` });
      }

      phase = "test";
      let tested = await testBuild(res, ctx, stage, 1);
      for (let fix = 1; !tested.ok; fix++) {
        await phaseEvent(res, ctx, "test", "failed", { attempt: fix, error: tested.problems });
        if (ctx.prompt === null || fix > ctx.maxFixAttempts) {
          const tries = ctx.prompt === null ? "" : ` after ${fix - 1} fix attempt${fix - 1 === 1 ? "" : "s"}`;
          throw new BuildFailed(`the test phase failed${tries}:\n${tested.problems}`, false);
        }
        const fixed = await stage(`fix-${fix}`, buildAgentSpec(ctx, fixPrompt(ctx.prompt, tested.problems)));
        if (fixed.status !== "succeeded") throw new BuildFailed(`the agent failed fixing the test phase's problems: ${fixed.error ?? "error"}`);
        tested = await testBuild(res, ctx, stage, fix + 1);
      }

      let commit = base;
      if (ctx.prompt !== null) {
        const committed = await stage(
          "commit",
          { command: buildCommitScript({ defaultBranch: ctx.defaultBranch }), network: true, mounts: repoMounts(ctx.repo, true), env: { SHIPYARD_BASE: base, SHIPYARD_COMMIT_MESSAGE: commitMessage(ctx.prompt) } },
          ctx.gitEnv,
        );
        if (committed.status !== "succeeded") throw new BuildFailed(`committing and pushing the build failed: ${committed.error ?? "error"}`);
        commit = committed.outputs.commit ?? base;
      }

      phase = "deploy";
      await phaseEvent(res, ctx, "deploy", "in_progress");
      await announceBuild(res, ctx, "build.deploy_started", { commit });
      const published = await DBOS.runStep(() => publishBuild(res, ctx, tested.artifact!, commit), { name: "publish", ...TRANSIENT_RETRIES });
      await phaseEvent(res, ctx, "deploy", "complete", { message: `published version ${published.version}` });
      await cleanupWorkspace(res, job);
      await finishBuild(res, ctx, "succeeded", null, { previewUrl: published.url, version: published.version, commit });
      await announceBuild(res, ctx, "build.completed", { previewUrl: published.url, version: published.version, commit });
      return "succeeded";
    } catch (err) {
      const cancelled = err instanceof JobCancelled;
      const e = ensureError(err);
      const message = err instanceof RunnerLost ? `the runner went away during the build (${e.message}); start the build again` : e.message;
      if (phase && !cancelled && !(err instanceof BuildFailed && !err.phaseOpen)) await phaseEvent(res, ctx, phase, "failed", { error: message });
      if (job) await cleanupWorkspace(res, job);
      await finishBuild(res, ctx, cancelled ? "cancelled" : "failed", cancelled ? "cancelled" : message, {});
      await announceBuild(res, ctx, "build.failed", { status: cancelled ? "cancelled" : "failed", phase, error: cancelled ? "cancelled" : message });
      return cancelled ? "cancelled" : "failed";
    }
  }
  workflows.register(BUILD_WORKFLOW, buildWorkflowImpl, { maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });
}

/** A stage runner bound to the build's pinned runner; secrets in `secretEnv` are resolved when the task is sent. */
export type StageRunner = ReturnType<typeof stageRunner>;

function stageRunner(res: EngineResources, job: PinnedJob, ctx: BuildContext) {
  return (name: string, spec: Omit<TaskSpec, "env"> & { env?: Record<string, string> }, secretEnv: Record<string, string> = {}) =>
    runPinnedTask(res, job, name, { ...spec, env: spec.env ?? {}, network: spec.network ?? ctx.stepNetwork }, { ...(spec.secretEnv ?? {}), ...secretEnv });
}

/** The commit's message: the request's first line, shortened, then the whole request. */
function commitMessage(prompt: string): string {
  const first = prompt.split("\n")[0]!.trim();
  const subject = first.length > 72 ? `${first.slice(0, 69)}...` : first;
  return subject === prompt.trim() ? subject : `${subject}\n\n${prompt.trim()}`;
}

/** Empty the build's workspace on its runner (it is the build's own; a failure to clean is only logged). */
async function cleanupWorkspace(res: EngineResources, job: PinnedJob): Promise<void> {
  const cleaned = await runPinnedTask(res, job, "cleanup", { command: cleanupScript(), env: {} }, {}, { ignoreCancel: true }).catch((err: unknown) => ({ status: "failed", error: ensureError(err).message }));
  if (cleaned.status !== "succeeded") res.log.warn({ buildId: job.id, error: cleaned.error }, "could not clean up the build's workspace");
}
