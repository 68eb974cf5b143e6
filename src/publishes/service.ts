// Publishes as the API and CLI see them: publish one environment of a project to another, read one, list a
// project's, cancel one.
import { inTransaction, type Queryable } from "../db/pool.ts";
import type { OperationDeps } from "../engine/control.ts";
import { BUILDS_QUEUE } from "../engine/queues.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import { appendEvents } from "../events/store.ts";
import { endUnfinished } from "../operations/end.ts";
import { insertOperation } from "../operations/store.ts";
import { environmentTarget } from "../previews/store.ts";
import { getProject, projectDeployTarget } from "../projects/store.ts";
import { isDeadWorkflow } from "../runs/finish.ts";
import type { PublishInput, PublishView } from "./schemas.ts";
import { insertPublish, listProjectPublishes, publishOfWorkspace, type PublishRow } from "./store.ts";
import { PUBLISH_WORKFLOW } from "./workflow.ts";

const toView = (p: PublishRow): PublishView => ({
  id: p.id,
  operationId: p.id,
  projectId: p.project_id,
  fromEnvironment: p.from_environment,
  toEnvironment: p.to_environment,
  version: p.version,
  deployTarget: p.deploy_target,
  status: p.status,
  phase: p.phase,
  url: p.url,
  screenshotUrl: p.screenshot ? `/api/v1/publishes/${p.id}/screenshot` : null,
  error: p.error,
  createdAt: p.created_at.toISOString(),
  finishedAt: p.finished_at?.toISOString() ?? null,
});

/**
 * Publish the version `fromEnvironment` shows now to `toEnvironment`: refused before anything is stored when the
 * project is unknown (404) or the source environment shows no version (409). It runs in the builds' queue,
 * partitioned by project, so a publish and a build of one project never run at the same time.
 */
export async function startPublish(deps: OperationDeps, workspaceId: string, projectId: string, input: PublishInput): Promise<PublishView> {
  const project = await getProject(deps.pool, workspaceId, projectId);
  const source = await environmentTarget(deps.pool, projectId, input.fromEnvironment);
  if (source?.version == null) {
    throw new ShipyardError("nothing_to_publish", `${input.fromEnvironment} has no version yet: build first (shipyard build ${project.name} "...")`, 409);
  }
  const deployTarget = await projectDeployTarget(deps.pool, workspaceId, projectId);
  const id = newId("pub");
  await inTransaction(deps.pool, async (c) => {
    await insertOperation(c, { id, workspaceId, kind: "publish", title: `Publish ${project.name} v${source.version} ${input.fromEnvironment} → ${input.toEnvironment}` });
    await insertPublish(c, { id, workspaceId, projectId, from: input.fromEnvironment, to: input.toEnvironment, version: source.version!, deployTarget });
    await appendEvents(c, id, [{ type: "status", payload: { status: "pending" }, dedupeKey: "status:pending" }]);
  });
  await deps.workflows.start(PUBLISH_WORKFLOW, { queue: BUILDS_QUEUE, workflowId: id, partitionKey: projectId }, id);
  return getPublish(deps.pool, workspaceId, id);
}

/** A publish of this workspace (404 otherwise). */
export async function getPublish(db: Queryable, workspaceId: string, id: string): Promise<PublishView> {
  const row = await publishOfWorkspace(db, workspaceId, id);
  if (!row) throw notFound("publish", id);
  return toView(row);
}

/** A project's publishes, newest first (404 for a project outside the workspace). */
export async function listPublishes(db: Queryable, workspaceId: string, projectId: string, limit = 50): Promise<PublishView[]> {
  await getProject(db, workspaceId, projectId);
  return (await listProjectPublishes(db, workspaceId, projectId, limit)).map(toView);
}

/** The screenshot of a publish's verification, relative to the data dir, or 404. */
export async function publishScreenshot(db: Queryable, workspaceId: string, id: string): Promise<string> {
  const row = await publishOfWorkspace(db, workspaceId, id);
  if (!row?.screenshot) throw notFound("publish screenshot", id);
  return row.screenshot;
}

/**
 * Cancel a publish: its workflow is cancelled (DBOS stops it at its next step) and the operation ended here. The
 * promote step locks the operation and moves nothing once it is cancelled, so a cancelled publish never changes
 * the target environment. 409 once it has ended.
 */
export async function cancelPublish(deps: OperationDeps, workspaceId: string, id: string): Promise<PublishView> {
  const { pool, workflows } = deps;
  const row = await publishOfWorkspace(pool, workspaceId, id);
  if (!row) throw notFound("publish", id);
  if (!["pending", "running"].includes(row.status)) throw new ShipyardError("publish_finished", `publish ${id} already ${row.status}; nothing to cancel`, 409);
  if (!isDeadWorkflow(await workflows.status(id))) await workflows.cancel(id);
  await endUnfinished(pool, id, "cancelled", "cancelled", { previewUrl: null, version: row.version });
  return getPublish(pool, workspaceId, id);
}
