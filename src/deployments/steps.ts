// The checkpointed steps of a deployment's workflow (./workflow.ts): loading what it needs, its progress and
// events, generating the files, the pull request, the health check and the end.
import { DBOS } from "@dbos-inc/dbos-sdk";
import { inTransaction } from "../db/pool.ts";
import type { FinalStatus } from "../domain/statuses.ts";
import type { EngineResources } from "../engine/resources.ts";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import type { DeploymentPhase } from "../events/catalogue.ts";
import { appendEvents } from "../events/store.ts";
import { openPullRequest, parseGitHubRemote } from "../git/github.ts";
import { finishOperation, markOperationRunning } from "../operations/store.ts";
import { getProject } from "../projects/store.ts";
import { leastBusyRunner } from "../tasks/runner-store.ts";
import type { WebhookEventType } from "../webhooks/events.ts";
import { emitWebhookEvent } from "../webhooks/service.ts";
import { GENERATORS, type AppDescription, type GeneratedFile, type GeneratorName } from "./generators/index.ts";
import { DEPLOYMENT_STEPS, type DeploymentTarget } from "./schemas.ts";
import { loadDeployment, recordDeployment, setDeploymentStep } from "./store.ts";
import { checkGivenConfig, checkTarget, invalidConfig, resolveConfig, targetSecrets } from "./validate.ts";

/** A failure the user should read (the deployment fails with it). */
export class DeploymentFailed extends Error {}

/** What the workflow needs of its deployment and project (checkpointed once, at its start). */
export interface DeploymentContext {
  id: string;
  workspaceId: string;
  projectId: string;
  projectName: string;
  generator: GeneratorName;
  mode: "generate" | "execute";
  direct: boolean;
  config: Record<string, unknown>;
  target: unknown;
  repo: string;
  defaultBranch: string;
  github: { owner: string; repo: string; apiUrl?: string } | null;
  credentialsSecret: string | null;
  gitEnv: Record<string, string>;
}

/** The deployment and its project; null when it is gone or already finished. */
export async function loadDeploymentContext(res: EngineResources, id: string): Promise<DeploymentContext | null> {
  const d = await loadDeployment(res.pool, id);
  if (!d || !["pending", "running"].includes(d.status)) return null;
  const p = await getProject(res.pool, d.workspace_id, d.project_id);
  return {
    id,
    workspaceId: d.workspace_id,
    projectId: d.project_id,
    projectName: p.name,
    generator: d.generator,
    mode: d.mode,
    direct: d.direct,
    config: d.config,
    target: d.target,
    repo: p.repo,
    defaultBranch: p.defaultBranch,
    github: p.github ?? parseGitHubRemote(p.repo),
    credentialsSecret: p.credentialsSecret,
    gitEnv: p.credentialsSecret ? { SHIPYARD_GIT_TOKEN: p.credentialsSecret } : {},
  };
}

/** Emit a deployment webhook event, keyed by the deployment and the type (a replay sends nothing twice). */
export function announceDeployment(res: EngineResources, ctx: DeploymentContext, type: Extract<WebhookEventType, `deployment.${string}`>, data: Record<string, unknown> = {}): Promise<string[]> {
  return emitWebhookEvent(res, { workspaceId: ctx.workspaceId, type, key: `${ctx.id}:${type}`, data: { deploymentId: ctx.id, projectId: ctx.projectId, generator: ctx.generator, mode: ctx.mode, ...data } });
}

/** The deployment has started: its operation is running, with a `status` event. */
export function markDeploymentRunning(res: EngineResources, ctx: DeploymentContext): Promise<void> {
  return DBOS.runStep(
    () =>
      inTransaction(res.pool, async (c) => {
        await markOperationRunning(c, ctx.id);
        await appendEvents(c, ctx.id, [{ type: "status", payload: { status: "running" }, dedupeKey: "status:running" }]);
      }),
    { name: "running", ...TRANSIENT_RETRIES },
  );
}

/** A `phase` event, and the progress the seed shows (`currentStep`, `stepsCurrent`, `message`) when a step starts. */
export function stepEvent(res: EngineResources, ctx: DeploymentContext, step: DeploymentPhase, status: "in_progress" | "complete" | "failed", message: string, attempt = 1) {
  const key = `phase:${step}:${status}:${attempt}`;
  const index = (DEPLOYMENT_STEPS[ctx.mode] as readonly string[]).indexOf(step) + 1;
  return DBOS.runStep(
    () =>
      inTransaction(res.pool, async (c) => {
        if (status === "in_progress") await setDeploymentStep(c, ctx.id, step, index, message);
        else await recordDeployment(c, ctx.id, { message });
        const detail = status === "failed" ? { error: message } : { message };
        await appendEvents(c, ctx.id, [{ type: "phase", payload: { phase: step, status, ...detail, ...(attempt > 1 ? { attempt } : {}) }, dedupeKey: key }]);
      }),
    { name: key, ...TRANSIENT_RETRIES },
  );
}

/** Check the config as given and the target again (a secret may have been deleted since the request). */
export async function validateDeployment(res: EngineResources, ctx: DeploymentContext): Promise<DeploymentTarget | null> {
  const { target, problems } = checkTarget(ctx.generator, ctx.mode, ctx.target);
  problems.unshift(...checkGivenConfig(ctx.generator, ctx.config));
  for (const name of Object.values(targetSecrets(target))) {
    if ((await res.secrets.get(ctx.workspaceId, name)) === null) problems.push({ path: "target", message: `no secret named ${name} in this workspace (deleted since the deployment was asked for?)` });
  }
  if (problems.length > 0) throw new DeploymentFailed(invalidConfig(problems).message);
  return target;
}

/** How long a deployment waits for a runner to come online before it fails. */
const RUNNER_WAIT_MS = 5 * 60_000;
const RUNNER_POLL_MS = 2000;

/** The runner the deployment's stages are pinned to (they share its clone): the least busy one, waited for durably. */
export async function claimDeploymentRunner(res: EngineResources, ctx: DeploymentContext): Promise<string> {
  for (let waited = 0; ; waited += RUNNER_POLL_MS) {
    const id = await DBOS.runStep(() => leastBusyRunner(res.pool, ctx.workspaceId), { name: "pick-runner", ...TRANSIENT_RETRIES });
    if (id) return id;
    if (waited >= RUNNER_WAIT_MS) throw new DeploymentFailed(`no runner came online for this workspace in ${RUNNER_WAIT_MS / 60_000} minutes: start one (shipyard runner) and deploy again`);
    await DBOS.sleep(RUNNER_POLL_MS);
  }
}

/** The generated files and the config they came from, or a failure naming the field or the file at fault. */
export async function generateFiles(res: EngineResources, ctx: DeploymentContext, detected: Partial<AppDescription>): Promise<{ config: AppDescription; files: GeneratedFile[] }> {
  let config: AppDescription;
  try {
    config = resolveConfig(ctx.generator, ctx.config, detected);
  } catch (err) {
    throw new DeploymentFailed((err as Error).message);
  }
  const generator = GENERATORS[ctx.generator];
  const files = generator.render(config);
  const problems = await generator.validate(files);
  if (problems.length > 0) {
    const p = problems[0]!;
    throw new DeploymentFailed(`the generated ${p.file}${p.pointer ? ` (${p.pointer})` : ""} is not valid: ${p.message}`);
  }
  await recordDeployment(res.pool, ctx.id, { files });
  return { config, files };
}

/** Open (or find) the pull request of the deployment branch on GitHub; null for other remotes. */
export async function deploymentPullRequest(res: EngineResources, ctx: DeploymentContext, branch: string): Promise<string | null> {
  if (!ctx.github) return null;
  const token = ctx.credentialsSecret ? await res.secrets.get(ctx.workspaceId, ctx.credentialsSecret) : null;
  const pr = await openPullRequest({
    apiUrl: ctx.github.apiUrl ?? res.githubApiUrl,
    outbound: ctx.github.apiUrl ? res.outbound : null,
    token: token ?? "",
    owner: ctx.github.owner,
    repo: ctx.github.repo,
    head: branch,
    base: ctx.defaultBranch,
    title: `Deployment files: ${ctx.generator} for ${ctx.projectName}`,
    body: `Generated by Shipyard deployment ${ctx.id} (${ctx.generator}).\n\nRe-running the deployment with the same config changes nothing; a new config updates this branch.\n\n---\n_Opened by Shipyard._`,
  });
  await recordDeployment(res.pool, ctx.id, { prUrl: pr.url });
  return pr.url;
}

/** Where the deployed app answers: the target's `url`, else the published port on the Docker host (as seed 000 works it out), else the ingress host. */
export function deploymentUrl(config: AppDescription, target: DeploymentTarget | null): string | null {
  if (target?.url) return target.url;
  if (target?.type === "docker") {
    const port = config.ports[0];
    if (port === undefined) return null;
    let host = "localhost";
    if (target.hostUrl && !target.hostUrl.startsWith("unix://")) {
      host = target.hostUrl.replace(/^(ssh|tcp):\/\//, "").replace(/^[^@]*@/, "").replace(/[:/].*$/, "");
    }
    return `http://${host}:${port}`;
  }
  return config.ingress ? `${config.ingress.tls ? "https" : "http"}://${config.ingress.host}` : null;
}

/** One try of the health check: the URL answers with a status below 500 within 5 s (checked under the URL policy). */
export async function checkHealth(res: EngineResources, url: string): Promise<number> {
  const answer = await res.outbound.fetch(url, { signal: AbortSignal.timeout(5000), redirect: "manual" });
  await answer.body?.cancel();
  if (answer.status >= 500) throw new Error(`${url} answered ${answer.status}`);
  return answer.status;
}

/** End the deployment: its operation settled, a final `status` and the `complete` event (idempotent). */
export function finishDeployment(res: EngineResources, ctx: DeploymentContext, status: FinalStatus, error: string | null, made: { commit?: string | null; prUrl?: string | null; branch?: string | null; deploymentUrl?: string | null }) {
  return DBOS.runStep(
    () =>
      inTransaction(res.pool, async (c) => {
        await finishOperation(c, ctx.id, status, error);
        await appendEvents(c, ctx.id, [
          { type: "status", payload: { status, ...(status === "failed" && error ? { reason: error } : {}) }, dedupeKey: `status:${status}` },
          { type: "complete", payload: { status, error, commit: made.commit ?? null, prUrl: made.prUrl ?? null, branch: made.branch ?? null, deploymentUrl: made.deploymentUrl ?? null }, dedupeKey: "complete" },
        ]);
      }),
    { name: `finish:${status}`, ...TRANSIENT_RETRIES },
  );
}
