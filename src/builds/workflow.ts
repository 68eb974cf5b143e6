import { DBOS } from "@dbos-inc/dbos-sdk";
import { MAX_RECOVERY_ATTEMPTS } from "../engine/queues.ts";
import type { LocalWorkflows } from "../engine/control.ts";
import type { EngineResources } from "../engine/resources.ts";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import { ensureError } from "../domain/errors.ts";
import { buildCommitScript, buildPrepareScript, changedFilesScript, specFileScript } from "../git/build-scripts.ts";
import { cleanupScript } from "../git/scripts.ts";
import { repoMounts } from "../git/local-repo.ts";
import { JobCancelled, RunnerLost, runPinnedTask, type PinnedJob } from "../jobs/stage-task.ts";
import type { TaskSpec } from "../tasks/spec.ts";
import type { BuildPhase } from "../events/catalogue.ts";
import { loadCatalogue } from "../projects/templates.ts";
import { fixPrompt, planBuild, taskPrompt } from "./plan.ts";
import { announceBuild } from "./webhook.ts";
import { BuildFailed, buildAgentSpec, claimRunner, finishBuild, loadBuildContext, markBuildRunning, phaseEvent, publishBuild, recordPlan, runnerChosen, taskEvent, testBuild, type BuildContext } from "./phases.ts";
import type { PlanOutput } from "./schemas.ts";

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
    const at: { phase: BuildPhase | null } = { phase: null };
    let job: PinnedJob | null = null;
    try {
      await markBuildRunning(res, ctx);
      await announceBuild(res, ctx, "build.started");
      let tasks: PlanOutput["tasks"] = [];
      if (ctx.blueprint) {
        // The spec was rendered from the blueprint when the build was asked for (it is the build's prompt); it is
        // written to the clone as the implement phase begins and lands in the build's commit.
        at.phase = "spec";
        await phaseEvent(res, ctx, "spec", "in_progress");
        await phaseEvent(res, ctx, "spec", "complete", { message: `${ctx.blueprint.specPath} (${ctx.prompt!.split("\n").length} lines)` });
      }
      if (ctx.prompt !== null) {
        // A blueprint build's plan is its design: the tasks the spec breaks into.
        const phase = ctx.blueprint ? "design" : "plan";
        at.phase = phase;
        await phaseEvent(res, ctx, phase, "in_progress");
        const plan = await DBOS.runStep(() => planBuild(res, { ...ctx, model: ctx.model!, prompt: ctx.prompt! }), { name: "plan" });
        tasks = plan.tasks;
        await recordPlan(res, ctx, tasks);
        await announceBuild(res, ctx, "build.plan_generated", { tasks });
        await phaseEvent(res, ctx, phase, "complete", { message: `${tasks.length} task${tasks.length === 1 ? "" : "s"}` });
      }

      // The phases that need the project's clone run on one runner; a runner lost midway (a crash, a kill) means
      // starting them again on a runner that is there, from a fresh clone (events and webhooks are keyed, so
      // nothing is told twice).
      let made: RunnerOutcome;
      for (let attempt = 1; ; attempt++) {
        const runnerId = await claimRunner(res, ctx);
        job = { id: buildId, attempt, runnerId, workspaceId: ctx.workspaceId };
        await runnerChosen(res, ctx, runnerId, attempt);
        try {
          made = await runnerPhases(res, ctx, job, tasks, at);
          break;
        } catch (err) {
          if (!(err instanceof RunnerLost) || attempt >= RUNNER_ATTEMPTS) throw err;
          job = null;
        }
      }

      at.phase = "deploy";
      await phaseEvent(res, ctx, "deploy", "in_progress");
      await announceBuild(res, ctx, "build.deploy_started", { commit: made.commit });
      const published = await DBOS.runStep(() => publishBuild(res, ctx, made.site, made.commit), { name: "publish", ...TRANSIENT_RETRIES });
      await phaseEvent(res, ctx, "deploy", "complete", { message: `published version ${published.version}` });
      // Before the end: `complete` is always an operation's last event, and the cleanup task logs.
      await cleanupWorkspace(res, job);
      await finishBuild(res, ctx, "succeeded", null, { previewUrl: published.url, version: published.version, commit: made.commit });
      await announceBuild(res, ctx, "build.completed", { previewUrl: published.url, version: published.version, commit: made.commit });
      return "succeeded";
    } catch (err) {
      const cancelled = err instanceof JobCancelled;
      const e = ensureError(err);
      const message = err instanceof RunnerLost ? `the runner went away ${RUNNER_ATTEMPTS} times during the build (${e.message}); start the build again` : e.message;
      if (at.phase && !cancelled && !(err instanceof BuildFailed && !err.phaseOpen)) await phaseEvent(res, ctx, at.phase, "failed", { error: message });
      if (job && !(err instanceof RunnerLost)) await cleanupWorkspace(res, job);
      await finishBuild(res, ctx, cancelled ? "cancelled" : "failed", cancelled ? "cancelled" : message, {});
      await announceBuild(res, ctx, "build.failed", { status: cancelled ? "cancelled" : "failed", phase: at.phase, error: cancelled ? "cancelled" : message });
      return cancelled ? "cancelled" : "failed";
    }
  }
  workflows.register(BUILD_WORKFLOW, buildWorkflowImpl, { maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });
}

/** Runners a build may lose before it fails. */
const RUNNER_ATTEMPTS = 3;

/** What the runner's phases leave: the checked site (a directory here) and the commit it was built from. */
interface RunnerOutcome {
  site: string;
  commit: string;
}

/** Prepare, implement, test (with its fixes) and commit, all on the build's runner (`job`). */
async function runnerPhases(res: EngineResources, ctx: BuildContext, job: PinnedJob, tasks: PlanOutput["tasks"], at: { phase: BuildPhase | null }): Promise<RunnerOutcome> {
  const stage = stageRunner(res, job, ctx);
  const prepared = await stage("prepare", { command: buildPrepareScript({ repo: ctx.repo, defaultBranch: ctx.defaultBranch }), network: true, mounts: repoMounts(ctx.repo, false) }, ctx.gitEnv);
  if (prepared.status !== "succeeded") throw new BuildFailed(`preparing the project's clone failed: ${prepared.error ?? "error"}`);
  const base = prepared.outputs.base ?? "";

  if (ctx.prompt !== null) {
    at.phase = "implement";
    await phaseEvent(res, ctx, "implement", "in_progress");
    if (ctx.blueprint) {
      const wrote = await stage("spec-file", { command: specFileScript(ctx.blueprint.specPath), env: { SHIPYARD_SPEC: ctx.prompt } });
      if (wrote.status !== "succeeded") throw new BuildFailed(`writing the spec to ${ctx.blueprint.specPath} failed: ${wrote.error ?? "error"}`);
    }
    for (let i = 0; i < tasks.length; i++) {
      await taskEvent(res, ctx, "task_started", tasks, i);
      await announceBuild(res, ctx, "build.task_started", { index: i + 1, total: tasks.length, title: tasks[i]!.title }, String(i + 1));
      const agent = await stage(`task-${i + 1}`, buildAgentSpec(ctx, taskPrompt(ctx.prompt, tasks, i)));
      if (agent.status !== "succeeded") throw new BuildFailed(`the agent failed on task ${i + 1} (${tasks[i]!.title}): ${agent.error ?? "error"}`);
      await taskEvent(res, ctx, "task_completed", tasks, i, agent.outputs.text);
      await announceBuild(res, ctx, "build.task_completed", { index: i + 1, total: tasks.length, title: tasks[i]!.title }, String(i + 1));
    }
    // The spec file is Shipyard's, not the agent's: it does not count as an edit.
    const changes = await stage("changes", { command: changedFilesScript(ctx.blueprint?.specPath), env: { SHIPYARD_BASE: base } });
    if (changes.status !== "succeeded") throw new BuildFailed(`reading the agent's changes failed: ${changes.error ?? "error"}`);
    if (Number(changes.outputs.changed ?? "0") === 0) throw new BuildFailed("the implement phase changed no file: the agent made no edits, so there is nothing to build");
    await phaseEvent(res, ctx, "implement", "complete", { message: `${changes.outputs.changed} files changed` });
  }

  at.phase = "test";
  let tested = await testBuild(res, ctx, stage, job.attempt, 1);
  for (let fix = 1; !tested.ok; fix++) {
    await phaseEvent(res, ctx, "test", "failed", { attempt: fix, error: tested.problems });
    if (ctx.prompt === null || fix > ctx.maxFixAttempts) {
      const tries = ctx.prompt === null ? "" : ` after ${fix - 1} fix attempt${fix - 1 === 1 ? "" : "s"}`;
      throw new BuildFailed(`the test phase failed${tries}:\n${tested.problems}`, false);
    }
    const fixed = await stage(`fix-${fix}`, buildAgentSpec(ctx, fixPrompt(ctx.prompt, tested.problems)));
    if (fixed.status !== "succeeded") throw new BuildFailed(`the agent failed fixing the test phase's problems: ${fixed.error ?? "error"}`);
    tested = await testBuild(res, ctx, stage, job.attempt, fix + 1);
  }

  if (ctx.prompt === null) return { site: tested.artifact!, commit: base };
  const committed = await stage(
    "commit",
    { command: buildCommitScript({ defaultBranch: ctx.defaultBranch }), network: true, mounts: repoMounts(ctx.repo, true), env: { SHIPYARD_BASE: base, SHIPYARD_COMMIT_MESSAGE: commitMessage({ ...ctx, prompt: ctx.prompt }) } },
    ctx.gitEnv,
  );
  if (committed.status !== "succeeded") throw new BuildFailed(`committing and pushing the build failed: ${committed.error ?? "error"}`);
  return { site: tested.artifact!, commit: committed.outputs.commit ?? base };
}

/** A stage runner bound to the build's pinned runner; secrets in `secretEnv` are resolved when the task is sent. */
export type StageRunner = ReturnType<typeof stageRunner>;

function stageRunner(res: EngineResources, job: PinnedJob, ctx: BuildContext) {
  return (name: string, spec: Omit<TaskSpec, "env"> & { env?: Record<string, string> }, secretEnv: Record<string, string> = {}) =>
    runPinnedTask(res, job, name, { ...spec, env: spec.env ?? {}, network: spec.network ?? ctx.stepNetwork }, { ...(spec.secretEnv ?? {}), ...secretEnv });
}

/** The commit's message: the request's first line, shortened, then the whole request; a blueprint build names its spec. */
function commitMessage(ctx: BuildContext & { prompt: string }): string {
  const prompt = ctx.prompt;
  if (ctx.blueprint) return `${prompt.split("\n")[0]!.replace(/^# Feature: /, "").slice(0, 60)}: built from its blueprint\n\nSpec: ${ctx.blueprint.specPath}`;
  const first = prompt.split("\n")[0]!.trim();
  const subject = first.length > 72 ? `${first.slice(0, 69)}...` : first;
  return subject === prompt.trim() ? subject : `${subject}\n\n${prompt.trim()}`;
}

/** Empty the build's workspace on its runner (it is the build's own; a failure to clean is only logged). */
async function cleanupWorkspace(res: EngineResources, job: PinnedJob | null): Promise<void> {
  if (!job) return;
  const cleaned = await runPinnedTask(res, job, "cleanup", { command: cleanupScript(), env: {} }, {}, { ignoreCancel: true }).catch((err: unknown) => ({ status: "failed", error: ensureError(err).message }));
  if (cleaned.status !== "succeeded") res.log.warn({ buildId: job.id, error: cleaned.error }, "could not clean up the build's workspace");
}
