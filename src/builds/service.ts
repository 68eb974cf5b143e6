// Builds as the API and CLI see them: start one on a project, read one, list a project's, cancel one.
import { inTransaction, type Queryable } from "../db/pool.ts";
import type { OperationDeps } from "../engine/control.ts";
import { BUILDS_QUEUE } from "../engine/queues.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import { appendEvents } from "../events/store.ts";
import { assertModelKeys } from "../models/keys.ts";
import { noModelError } from "../models/default-model.ts";
import { endUnfinished } from "../operations/end.ts";
import { insertOperation } from "../operations/store.ts";
import { getProject } from "../projects/store.ts";
import { isDeadWorkflow } from "../runs/finish.ts";
import type { SecretStore } from "../secrets/store.ts";
import { workspaceSettings } from "../workspaces/store.ts";
import type { RunMessage } from "../tasks/messages.ts";
import type { BuildInput, BuildView } from "./schemas.ts";
import { buildOfWorkspace, insertBuild, listProjectBuilds, type BuildRow } from "./store.ts";
import { BUILD_WORKFLOW } from "./workflow.ts";

/** What starting a build needs. */
export interface BuildDeps extends OperationDeps {
  secrets: SecretStore;
}

/** A build of a blueprint: its spec is the prompt; `beforeCommit` runs in the transaction that stores the build. */
export interface BlueprintSource {
  blueprintId: string;
  specPath: string;
  title: string;
  beforeCommit(c: Queryable, buildId: string): Promise<void>;
}

/** How many fix attempts a failed test phase gets unless the request says. */
export const DEFAULT_FIX_ATTEMPTS = 2;

const toView = (b: BuildRow): BuildView => ({
  id: b.id,
  operationId: b.id,
  projectId: b.project_id,
  prompt: b.prompt,
  blueprintId: b.blueprint_id,
  status: b.status,
  phase: b.phase,
  tasks: b.tasks,
  commit: b.commit_sha,
  previewVersion: b.preview_version,
  previewUrl: b.preview_url,
  screenshotUrl: b.screenshot ? `/api/v1/builds/${b.id}/screenshot` : null,
  fixAttempts: b.fix_attempts,
  error: b.error,
  createdAt: b.created_at.toISOString(),
  finishedAt: b.finished_at?.toISOString() ?? null,
});

/**
 * Start a build of a project: `prompt` null deploys its current commit (a project's first version). Refused
 * before anything is stored when the project is unknown (404), has no template to build with (409), or its
 * agent's model is unset or has no key (400 / 422). One build per project runs at a time; others wait in line.
 */
export async function startBuild(deps: BuildDeps, workspaceId: string, projectId: string, input: BuildInput | { prompt: null }, from?: BlueprintSource): Promise<BuildView> {
  const project = await getProject(deps.pool, workspaceId, projectId);
  if (!project.template) {
    throw new ShipyardError("no_template", `project ${project.name} was not created from a template, so Shipyard does not know how to build and serve it: create one with a template (shipyard projects new NAME --template T)`, 409);
  }
  if (input.prompt !== null && project.buildAgent === "builtin") {
    const model = project.defaultModel ?? (await workspaceSettings(deps.pool, workspaceId)).defaultModel;
    if (!model) throw noModelError("the project's build");
    await assertModelKeys(deps.secrets, workspaceId, [{ model, what: "the project's build" }]);
  }
  const id = newId("bld");
  const title = from ? from.title : input.prompt === null ? `Deploy ${project.name}` : input.prompt.split("\n")[0]!.slice(0, 200);
  await inTransaction(deps.pool, async (c) => {
    await insertOperation(c, { id, workspaceId, kind: "build", title });
    const maxFixAttempts = "maxFixAttempts" in input && input.maxFixAttempts !== undefined ? input.maxFixAttempts : DEFAULT_FIX_ATTEMPTS;
    await insertBuild(c, { id, workspaceId, projectId, prompt: input.prompt, maxFixAttempts, ...(from ? { blueprintId: from.blueprintId, specPath: from.specPath } : {}) });
    await from?.beforeCommit(c, id);
    await appendEvents(c, id, [{ type: "status", payload: { status: "pending" }, dedupeKey: "status:pending" }]);
  });
  await startBuildWorkflow(deps, id, projectId);
  return getBuild(deps.pool, workspaceId, id);
}

/** Enqueue a build's workflow: one at a time per project (a partitioned queue); a second start is a no-op. */
export function startBuildWorkflow(deps: OperationDeps, id: string, projectId: string): Promise<void> {
  return deps.workflows.start(BUILD_WORKFLOW, { queue: BUILDS_QUEUE, workflowId: id, partitionKey: projectId }, id);
}

/** A build of this workspace (404 otherwise). */
export async function getBuild(db: Queryable, workspaceId: string, id: string): Promise<BuildView> {
  const row = await buildOfWorkspace(db, workspaceId, id);
  if (!row) throw notFound("build", id);
  return toView(row);
}

/** A project's builds, newest first (404 for a project outside the workspace). */
export async function listBuilds(db: Queryable, workspaceId: string, projectId: string, limit = 50): Promise<BuildView[]> {
  await getProject(db, workspaceId, projectId);
  return (await listProjectBuilds(db, workspaceId, projectId, limit)).map(toView);
}

/** The screenshot of a build's last preview check, relative to the data dir, or 404. */
export async function buildScreenshot(db: Queryable, workspaceId: string, id: string): Promise<string> {
  const row = await buildOfWorkspace(db, workspaceId, id);
  if (!row) throw notFound("build", id);
  if (!row.screenshot) throw new ShipyardError("not_found", `build ${id} has no screenshot yet: its test phase has not checked a page`, 404);
  return row.screenshot;
}

/**
 * Cancel a build: its workflow is told, kills the task it waits for and cleans up; a build whose workflow has
 * not started (or no longer runs) is ended here. 409 once it has ended.
 */
export async function cancelBuild(deps: OperationDeps, workspaceId: string, id: string): Promise<BuildView> {
  const { pool, workflows } = deps;
  const row = await buildOfWorkspace(pool, workspaceId, id);
  if (!row) throw notFound("build", id);
  if (!["pending", "running"].includes(row.status)) throw new ShipyardError("build_finished", `build ${id} already ${row.status}; nothing to cancel`, 409);
  const workflow = await workflows.status(id);
  if (workflow === "PENDING") {
    await inTransaction(pool, (c) => appendEvents(c, id, [{ type: "status", payload: { status: "cancelling" }, dedupeKey: "status:cancelling" }]));
    const msg: RunMessage = { type: "cancel" };
    await workflows.send(id, msg, `cancel:${id}`);
    return getBuild(pool, workspaceId, id);
  }
  // Waiting in the queue, or a workflow that will never run again: nobody else will end it.
  if (!isDeadWorkflow(workflow)) await workflows.cancel(id);
  await endUnfinished(pool, id, "cancelled", "cancelled");
  return getBuild(pool, workspaceId, id);
}
