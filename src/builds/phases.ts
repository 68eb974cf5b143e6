// The steps of a build's phases (src/builds/workflow.ts), each checkpointed: loading what the build needs, the
// runner it is pinned to, phase and task events, the test phase's check and the publish.
import path from "node:path";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { inTransaction } from "../db/pool.ts";
import type { FinalStatus } from "../domain/statuses.ts";
import type { EngineResources } from "../engine/resources.ts";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import type { BuildPhase, EventPayload } from "../events/catalogue.ts";
import { appendEvents, appendEventsNow, lastLogLines } from "../events/store.ts";
import { finishOperation, markOperationRunning } from "../operations/store.ts";
import { agentSpec } from "../jobs/stages.ts";
import { noModelError } from "../models/default-model.ts";
import { getProject } from "../projects/store.ts";
import type { TemplateCatalogue, TemplateManifest } from "../projects/templates.ts";
import { leastBusyRunner } from "../tasks/runner-store.ts";
import { taskId } from "../tasks/task-id.ts";
import type { TaskSpec } from "../tasks/spec.ts";
import type { TaskResult } from "../tasks/messages.ts";
import { workspaceSettings } from "../workspaces/store.ts";
import { checkBuiltSite } from "./site-check.ts";
import { loadBuild, recordBuild, setBuildPhase } from "./store.ts";
import { SITE_ARTIFACT, testScript } from "./test-script.ts";
import type { PlanOutput } from "./schemas.ts";
import { publishVersion, versionDir } from "../previews/service.ts";
import { deployTargetFor } from "../previews/targets.ts";
import type { Environment } from "../previews/store.ts";
import { artifactPath, extractArtifact } from "../previews/artifacts.ts";
import { recordBlueprintBuild } from "../blueprints/store.ts";

/** A failure the user should read; `phaseOpen: false` when its phase's `failed` event was already appended. */
export class BuildFailed extends Error {
  constructor(
    message: string,
    readonly phaseOpen = true,
  ) {
    super(message);
  }
}

/** What the build workflow needs of its build, project and workspace (checkpointed once, at its start). */
export interface BuildContext {
  buildId: string;
  workspaceId: string;
  projectId: string;
  prompt: string | null;
  /** A blueprint build: the blueprint, and where its spec (the prompt) goes in the project. */
  blueprint: { id: string; specPath: string } | null;
  repo: string;
  defaultBranch: string;
  template: string;
  manifest: TemplateManifest;
  buildAgent: "builtin" | "claude-code";
  /** The project's default model, else the workspace's (null: none; a prompt build was refused without one). */
  model: string | null;
  agentNetwork: boolean;
  stepNetwork: boolean;
  maxFixAttempts: number;
  /** The git token's secret, as env for the git stages. */
  gitEnv: Record<string, string>;
  dataDir: string;
}

/** The build and what its project and workspace say; null when the build is gone or already finished. */
export async function loadBuildContext(res: EngineResources, templates: TemplateCatalogue, buildId: string): Promise<BuildContext | null> {
  const build = await loadBuild(res.pool, buildId);
  if (!build || !["pending", "running"].includes(build.status)) return null;
  const p = await getProject(res.pool, build.workspace_id, build.project_id);
  const settings = await workspaceSettings(res.pool, build.workspace_id);
  const model = p.defaultModel ?? settings.defaultModel;
  if (build.prompt !== null && p.buildAgent === "builtin" && !model) throw new BuildFailed(noModelError("the project's build").message);
  const template = p.template ? templates.get(p.template) : undefined;
  if (!template) throw new BuildFailed(`the project's template ${p.template ?? "(none)"} is not in this server's catalogue`);
  return {
    buildId,
    workspaceId: build.workspace_id,
    projectId: build.project_id,
    prompt: build.prompt,
    blueprint: build.blueprint_id && build.spec_path ? { id: build.blueprint_id, specPath: build.spec_path } : null,
    repo: p.repo,
    defaultBranch: p.defaultBranch,
    template: template.manifest.name,
    manifest: template.manifest,
    buildAgent: p.buildAgent,
    model,
    agentNetwork: p.agentNetwork,
    stepNetwork: settings.stepNetwork,
    maxFixAttempts: build.max_fix_attempts,
    gitEnv: p.credentialsSecret ? { SHIPYARD_GIT_TOKEN: p.credentialsSecret } : {},
    dataDir: res.dataDir,
  };
}

/** How long a build waits for a runner to come online before it fails. */
const RUNNER_WAIT_MS = 5 * 60_000;
const RUNNER_POLL_MS = 2000;

/** The runner the build's stages are pinned to (they share its workspace directory): the least busy one, waited for durably. */
export async function claimRunner(res: EngineResources, ctx: BuildContext): Promise<string> {
  for (let waited = 0; ; waited += RUNNER_POLL_MS) {
    const id = await DBOS.runStep(() => leastBusyRunner(res.pool, ctx.workspaceId), { name: "pick-runner", ...TRANSIENT_RETRIES });
    if (id) return id;
    if (waited >= RUNNER_WAIT_MS) throw new BuildFailed(`no runner came online for this workspace in ${RUNNER_WAIT_MS / 60_000} minutes: start one (shipyard runner) and build again`);
    await DBOS.sleep(RUNNER_POLL_MS);
  }
}

/** The build has started: its operation is running, with a `status` event. */
export function markBuildRunning(res: EngineResources, ctx: BuildContext): Promise<void> {
  return DBOS.runStep(
    () =>
      inTransaction(res.pool, async (c) => {
        await markOperationRunning(c, ctx.buildId);
        await appendEvents(c, ctx.buildId, [{ type: "status", payload: { status: "running" }, dedupeKey: "status:running" }]);
      }),
    { name: "running", ...TRANSIENT_RETRIES },
  );
}

/** The runner phases run on `runnerId` (again, from `attempt` 2: the earlier runner went away). */
export function runnerChosen(res: EngineResources, ctx: BuildContext, runnerId: string, attempt: number): Promise<void> {
  return DBOS.runStep(
    () =>
      inTransaction(res.pool, async (c) => {
        await recordBuild(c, ctx.buildId, { runnerId });
        const reason = attempt > 1 ? "the runner went away; the build starts its phases again from a fresh clone" : undefined;
        await appendEvents(c, ctx.buildId, [{ type: "status", payload: { status: "running", runnerId, attempt, ...(reason ? { reason } : {}) }, dedupeKey: `status:runner:${attempt}` }]);
      }),
    { name: `runner:${attempt}`, ...TRANSIENT_RETRIES },
  );
}

/** A `phase` event (and the build's current phase), once per phase, status and attempt. */
export function phaseEvent(res: EngineResources, ctx: BuildContext, phase: BuildPhase, status: "in_progress" | "complete" | "failed", detail: Omit<EventPayload<"phase">, "phase" | "status"> = {}) {
  const key = `phase:${phase}:${status}:${detail.attempt ?? 0}`;
  return DBOS.runStep(
    () =>
      inTransaction(res.pool, async (c) => {
        if (status === "in_progress") await setBuildPhase(c, ctx.buildId, phase);
        await appendEvents(c, ctx.buildId, [{ type: "phase", payload: { phase, status, ...detail }, dedupeKey: key }]);
      }),
    { name: key, ...TRANSIENT_RETRIES },
  );
}

/** Store the plan on the build and send it as a `plan` event. */
export function recordPlan(res: EngineResources, ctx: BuildContext, tasks: PlanOutput["tasks"]): Promise<void> {
  return DBOS.runStep(
    () =>
      inTransaction(res.pool, async (c) => {
        await recordBuild(c, ctx.buildId, { tasks });
        await appendEvents(c, ctx.buildId, [{ type: "plan", payload: { tasks }, dedupeKey: "plan" }]);
      }),
    { name: "record-plan", ...TRANSIENT_RETRIES },
  );
}

/** A `task_started` or `task_completed` event for task `index` (0-based) of the plan. */
export function taskEvent(res: EngineResources, ctx: BuildContext, type: "task_started" | "task_completed", tasks: PlanOutput["tasks"], index: number, summary?: string) {
  const payload = { index: index + 1, total: tasks.length, title: tasks[index]!.title, ...(summary ? { summary: summary.split("\n")[0]!.slice(0, 500) } : {}) };
  return DBOS.runStep(() => appendEventsNow(res.pool, ctx.buildId, [{ type, payload, dedupeKey: `${type}:${index}` }]), { name: `${type}:${index}`, ...TRANSIENT_RETRIES });
}

/** The task of the build's coding agent on `prompt` (the project's agent and model; no budget beyond the workspace's). */
export function buildAgentSpec(ctx: BuildContext, prompt: string): TaskSpec {
  const executor = ctx.buildAgent === "claude-code" ? { type: "claude-code" as const } : { type: "builtin" as const };
  return { ...agentSpec(executor, prompt, ctx.model), network: ctx.agentNetwork };
}

/** What one try of the test phase found: the checked site's directory when it passed. */
export interface TestOutcome {
  ok: boolean;
  problems: string;
  artifact: string | null;
}

type Stage = (name: string, spec: Omit<TaskSpec, "env"> & { env?: Record<string, string> }) => Promise<TaskResult>;

/**
 * One try of the test phase: on the runner, the template's build and verify commands and the upload of the
 * output; then, here, the preview check of that output in Chromium, its screenshot an `artifact` event.
 */
export async function testBuild(res: EngineResources, ctx: BuildContext, stage: Stage, runnerAttempt: number, attempt: number): Promise<TestOutcome> {
  await phaseEvent(res, ctx, "test", "in_progress", { attempt });
  const name = `test-${attempt}`;
  const ran = await stage(name, { command: testScript(ctx.manifest), serverAccess: true });
  if (ran.status !== "succeeded") {
    const tail = await DBOS.runStep(() => lastLogLines(res.pool, ctx.buildId, name, runnerAttempt, 30), { name: `tail:${name}`, ...TRANSIENT_RETRIES });
    return { ok: false, problems: `${ran.error ?? "the build or verify commands failed"}\n${tail.join("\n")}`.trim(), artifact: null };
  }
  const checked = await DBOS.runStep(
    async () => {
      const dir = path.join(ctx.dataDir, "builds", ctx.buildId, `site-${runnerAttempt}-${attempt}`);
      await extractArtifact(artifactPath(ctx.dataDir, taskId(ctx.buildId, name, runnerAttempt), SITE_ARTIFACT), dir);
      const screenshot = path.join("builds", ctx.buildId, `preview-${attempt}.png`);
      const result = await checkBuiltSite(dir, path.join(ctx.dataDir, screenshot));
      await inTransaction(res.pool, async (c) => {
        await recordBuild(c, ctx.buildId, { screenshot, fixAttempts: attempt - 1 });
        await appendEvents(c, ctx.buildId, [
          { type: "artifact", payload: { name: `preview-${attempt}.png`, contentType: "image/png", url: `/api/v1/builds/${ctx.buildId}/screenshot`, of: "preview" }, dedupeKey: `artifact:preview:${attempt}` },
        ]);
      });
      return { ok: result.ok, problems: result.problems.join("\n"), artifact: dir };
    },
    { name: `check:${runnerAttempt}:${attempt}`, ...TRANSIENT_RETRIES },
  );
  if (checked.ok) await phaseEvent(res, ctx, "test", "complete", { attempt, message: "the page loads without errors" });
  return checked;
}

/** Publish the checked site as the project's next version and deploy it to staging on the project's target; idempotent per build. */
export async function publishBuild(res: EngineResources, ctx: BuildContext, dir: string, commit: string): Promise<{ version: number; url: string }> {
  const deps = { pool: res.pool, dataDir: res.dataDir, log: res.log, urls: res.previewUrls, getSecret: (workspaceId: string, name: string, environment: Environment) => res.secrets.get(workspaceId, name, environment), env: process.env };
  const version = await publishVersion(deps, { workspaceId: ctx.workspaceId, projectId: ctx.projectId, dir, commit: commit || null, buildId: ctx.buildId });
  // Every build is kept as a version on the built-in host (rollback); the project's target makes staging show it.
  const target = await deployTargetFor(deps, ctx.workspaceId, ctx.projectId);
  const where = { workspaceId: ctx.workspaceId, projectId: ctx.projectId, version: version.version, environment: "staging" as const };
  const { url } = await target.deploy({ ...where, dir: versionDir(res.dataDir, ctx.projectId, version.version) });
  await recordBuild(res.pool, ctx.buildId, { previewVersion: version.version, previewUrl: url, ...(commit ? { commit } : {}) });
  return { version: version.version, url };
}

/** End the build: its operation settled, a final `status` and the `complete` event (idempotent). */
export function finishBuild(res: EngineResources, ctx: BuildContext, status: FinalStatus, error: string | null, made: { previewUrl?: string; version?: number; commit?: string }) {
  return DBOS.runStep(
    () =>
      inTransaction(res.pool, async (c) => {
        await finishOperation(c, ctx.buildId, status, error);
        if (ctx.blueprint) await recordBlueprintBuild(c, ctx.buildId, status === "succeeded" ? { ok: true, commit: made.commit ?? null } : { ok: false, error: error ?? status });
        await appendEvents(c, ctx.buildId, [
          { type: "status", payload: { status }, dedupeKey: `status:${status}` },
          { type: "complete", payload: { status, error, previewUrl: made.previewUrl ?? null, version: made.version ?? null, commit: made.commit ?? null }, dedupeKey: "complete" },
        ]);
      }),
    { name: `finish:${status}`, ...TRANSIENT_RETRIES },
  );
}
