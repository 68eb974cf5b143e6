// Deployments as the API, the Connect service and the CLI see them: start one on a project, read one, list them,
// read its generated files, cancel one, and the generator catalogue.
import { inTransaction, type Queryable } from "../db/pool.ts";
import type { OperationDeps } from "../engine/control.ts";
import { BUILDS_QUEUE } from "../engine/queues.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import { appendEvents } from "../events/store.ts";
import { endUnfinished } from "../operations/end.ts";
import { insertOperation } from "../operations/store.ts";
import { getProject } from "../projects/store.ts";
import type { TemplateCatalogue } from "../projects/templates.ts";
import { isDeadWorkflow } from "../runs/finish.ts";
import type { SecretStore } from "../secrets/store.ts";
import type { RunMessage } from "../tasks/messages.ts";
import { detectApp, toResourceName } from "./generators/detect.ts";
import { GENERATOR_NAMES, GENERATORS, type AppDescription, type GeneratedFile } from "./generators/index.ts";
import { DEPLOYMENT_STEPS, TARGET_OF, type DeploymentInput, type DeploymentStatus, type DeploymentView } from "./schemas.ts";
import { deploymentOfWorkspace, insertDeployment, listDeploymentRows, type DeploymentRow } from "./store.ts";
import { checkGivenConfig, checkTarget, configJsonSchema, invalidConfig, targetSecrets } from "./validate.ts";
import { DEPLOYMENT_WORKFLOW } from "./workflow.ts";

/** What starting a deployment needs: the secrets a target names must exist. */
export interface DeploymentDeps extends OperationDeps {
  secrets: SecretStore;
}

/** The seed's status from the operation's and the mode. */
function statusOf(d: DeploymentRow): DeploymentStatus {
  if (d.status === "running") return "deploying";
  if (d.status === "succeeded") return d.mode === "generate" ? "generated" : "deployed";
  return d.status;
}

const toView = (d: DeploymentRow): DeploymentView => ({
  id: d.id,
  operationId: d.id,
  workflowId: d.id,
  projectId: d.project_id,
  generator: d.generator,
  mode: d.mode,
  direct: d.direct,
  status: statusOf(d),
  currentStep: d.current_step,
  stepsTotal: d.steps_total,
  stepsCurrent: d.steps_current,
  message: d.message,
  error: d.error,
  deploymentUrl: d.deployment_url,
  commit: d.commit_sha,
  branch: d.branch,
  prUrl: d.pr_url,
  files: (d.files ?? []).map((f) => ({ path: f.path, bytes: Buffer.byteLength(f.content) })),
  createdAt: d.created_at.toISOString(),
  finishedAt: d.finished_at?.toISOString() ?? null,
});

/**
 * Start a deployment of a project: refused before anything is stored when the project is unknown (404) or the
 * config or target is wrong (422, naming each field and the reason; a secret the target names must exist). It
 * runs in the builds' queue, partitioned by project, so it never races a build or another deployment on the
 * project's repository.
 */
export async function startDeployment(deps: DeploymentDeps, workspaceId: string, projectId: string, input: DeploymentInput): Promise<DeploymentView> {
  const project = await getProject(deps.pool, workspaceId, projectId);
  const { target, problems } = checkTarget(input.generator, input.mode, input.target);
  problems.unshift(...checkGivenConfig(input.generator, input.config));
  if (input.mode === "execute" && input.direct) problems.push({ path: "direct", message: "direct is for generate mode (execute mode commits nothing)" });
  for (const [env, name] of Object.entries(targetSecrets(target))) {
    if ((await deps.secrets.get(workspaceId, name)) === null) problems.push({ path: env === "SHIPYARD_KUBECONFIG" ? "target.kubeconfigSecret" : `target.secretVars.${env.slice(7)}`, message: `no secret named ${name} in this workspace` });
  }
  if (problems.length > 0) throw invalidConfig(problems);
  const id = newId("dep");
  await inTransaction(deps.pool, async (c) => {
    await insertOperation(c, { id, workspaceId, kind: "deployment", title: `${input.mode === "execute" ? "Deploy" : "Generate"} ${project.name} with ${input.generator}` });
    await insertDeployment(c, { id, workspaceId, projectId, generator: input.generator, mode: input.mode, direct: input.direct, config: input.config, target: target ?? undefined, stepsTotal: DEPLOYMENT_STEPS[input.mode].length });
    await appendEvents(c, id, [{ type: "status", payload: { status: "pending" }, dedupeKey: "status:pending" }]);
  });
  await deps.workflows.start(DEPLOYMENT_WORKFLOW, { queue: BUILDS_QUEUE, workflowId: id, partitionKey: projectId }, id);
  return getDeployment(deps.pool, workspaceId, id);
}

/** A deployment of this workspace (404 otherwise). */
export async function getDeployment(db: Queryable, workspaceId: string, id: string): Promise<DeploymentView> {
  const row = await deploymentOfWorkspace(db, workspaceId, id);
  if (!row) throw notFound("deployment", id);
  return toView(row);
}

/** The workspace's deployments, or one project's (404 for a project outside the workspace), newest first. */
export async function listDeployments(db: Queryable, workspaceId: string, projectId: string | null, limit = 50): Promise<DeploymentView[]> {
  if (projectId !== null) await getProject(db, workspaceId, projectId);
  return (await listDeploymentRows(db, workspaceId, projectId, limit)).map(toView);
}

/** The files a deployment generated (empty until its generate step ran). */
export async function deploymentFiles(db: Queryable, workspaceId: string, id: string): Promise<GeneratedFile[]> {
  const row = await deploymentOfWorkspace(db, workspaceId, id);
  if (!row) throw notFound("deployment", id);
  return row.files ?? [];
}

/** One generated file by its path (404 when the deployment has no such file). */
export async function deploymentFile(db: Queryable, workspaceId: string, id: string, path: string): Promise<GeneratedFile> {
  const file = (await deploymentFiles(db, workspaceId, id)).find((f) => f.path === path);
  if (!file) throw notFound(`file ${JSON.stringify(path)} of deployment`, id);
  return file;
}

/**
 * Cancel a deployment: a running workflow is told, and kills the tool or git stage it waits for; one that has not
 * started (or no longer runs) is ended here. 409 once it has ended.
 */
export async function cancelDeployment(deps: OperationDeps, workspaceId: string, id: string): Promise<DeploymentView> {
  const { pool, workflows } = deps;
  const row = await deploymentOfWorkspace(pool, workspaceId, id);
  if (!row) throw notFound("deployment", id);
  if (!["pending", "running"].includes(row.status)) throw new ShipyardError("deployment_finished", `deployment ${id} already ${statusOf(row)}; nothing to cancel`, 409);
  const workflow = await workflows.status(id);
  if (workflow === "PENDING") {
    await inTransaction(pool, (c) => appendEvents(c, id, [{ type: "status", payload: { status: "cancelling" }, dedupeKey: "status:cancelling" }]));
    const msg: RunMessage = { type: "cancel" };
    await workflows.send(id, msg, `cancel:${id}`);
    return getDeployment(pool, workspaceId, id);
  }
  if (!isDeadWorkflow(workflow)) await workflows.cancel(id);
  await endUnfinished(pool, id, "cancelled", "cancelled");
  return getDeployment(pool, workspaceId, id);
}

/** The generator catalogue: each generator, the target kind it executes against, its config's JSON Schema. */
export function generatorCatalogue(): { name: (typeof GENERATOR_NAMES)[number]; description: string; target: string; configSchema: Record<string, unknown> }[] {
  return GENERATOR_NAMES.map((name) => ({ name, description: GENERATORS[name].description, target: TARGET_OF[name], configSchema: configJsonSchema(name) }));
}

/**
 * The app description a deployment of the project would start from, for a form to prefill: a studio project's
 * template read as the runner reads a clone (named after the project unless a package.json names it); any other
 * project only its name. The server holds no checkout: the deployment's prepare step detects again from the
 * repository, under the config the user gives.
 */
export async function detectProjectApp(
  db: Queryable,
  templates: TemplateCatalogue | undefined,
  workspaceId: string,
  projectId: string,
): Promise<{ app: Partial<AppDescription>; source: "template" | "project" }> {
  const project = await getProject(db, workspaceId, projectId);
  const name = toResourceName(project.name);
  const template = project.template ? templates?.get(project.template) : undefined;
  if (!template) return { app: name ? { name } : {}, source: "project" };
  const app = await detectApp(template.dir, { template: template.manifest, name: project.name });
  // A clone carries no template manifest, so the runner names such an app after the project, not the template.
  if (name && app.name === toResourceName(template.manifest.name)) app.name = name;
  return { app, source: "template" };
}
