// Blueprints as the API and CLI see them: create one for a feature of a project, list, show (with its
// messages), delete, and upload a design reference. The chat turn is in chat.ts, the build in build.ts.
import { promises as fs } from "node:fs";
import path from "node:path";
import type { LlmMetrics } from "../agents/llm/index.ts";
import type { Pool, Queryable } from "../db/pool.ts";
import type { WorkflowControl } from "../engine/control.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import type { OutboundClient } from "../net/outbound-client.ts";
import { getProject } from "../projects/store.ts";
import type { SecretStore } from "../secrets/store.ts";
import { readiness } from "./readiness.ts";
import { captureUrl, checkUpload, referencePaths, thumbnailOf, writeReferenceFiles, removeReferenceFiles, type ImageType } from "./references.ts";
import { emptyPlan, type BlueprintView, type MessageView, type ReferenceView } from "./schemas.ts";
import { featureSlug, specPath } from "./spec.ts";
import {
  archiveBlueprint,
  blueprintOfWorkspace,
  deleteBlueprint,
  insertBlueprint,
  insertReference,
  listMessages,
  listProjectBlueprints,
  listReferences,
  referenceOfWorkspace,
  type BlueprintRow,
  type ReferenceRow,
} from "./store.ts";

/** What the blueprint services need: the database, the model path, the URL rules and the data dir for reference files. */
export interface BlueprintDeps {
  pool: Pool;
  secrets: SecretStore;
  cassettesDir?: string;
  llmMetrics?: LlmMetrics;
  outbound: OutboundClient;
  workflows: WorkflowControl;
  /** Where reference images are kept; undefined: this server keeps no files (references are refused with 503). */
  dataDir?: string;
}

/** The data dir, or 503 when this server keeps no files. */
export function filesDir(deps: Pick<BlueprintDeps, "dataDir">): string {
  if (!deps.dataDir) throw new ShipyardError("unavailable", "this server keeps no files, so it takes no design references", 503);
  return deps.dataDir;
}

/** A reference as the blueprint lists it. */
export function referenceView(r: ReferenceRow): ReferenceView {
  return {
    id: r.id,
    type: r.type,
    source: r.source,
    image: `/api/v1/references/${r.id}/image`,
    thumbnail: `/api/v1/references/${r.id}/thumbnail`,
    mediaType: r.media_type,
    createdAt: r.created_at.toISOString(),
  };
}

/** A blueprint row and its references as the API shows them, with readiness computed from the plan. */
export function blueprintView(b: BlueprintRow, refs: ReferenceRow[]): BlueprintView {
  const ready = readiness(b.plan);
  return {
    id: b.id,
    projectId: b.project_id,
    featureName: b.feature_name,
    slug: b.slug,
    ...b.plan,
    references: { items: refs.map(referenceView) },
    // Only a draft (or a built blueprint a turn has not moved on) can be built.
    readyToBuild: ready.readyToBuild && (b.status === "draft" || b.status === "built"),
    blockers: ready.blockers,
    status: b.status,
    specPath: specPath(b.slug),
    lastBuildId: b.last_build_id,
    builtCommit: b.built_commit,
    lastError: b.last_error,
    createdAt: b.created_at.toISOString(),
    updatedAt: b.updated_at.toISOString(),
  };
}

/** A blueprint row of the workspace (404 otherwise). */
export async function loadBlueprint(db: Queryable, workspaceId: string, id: string): Promise<BlueprintRow> {
  const row = await blueprintOfWorkspace(db, workspaceId, id);
  if (!row) throw notFound("blueprint", id);
  return row;
}

/** Start a blueprint for a feature of a project: every section empty. 409 when the project has one of that name. */
export async function createBlueprint(db: Queryable, workspaceId: string, projectId: string, featureName: string): Promise<BlueprintView> {
  await getProject(db, workspaceId, projectId);
  const id = newId("bp");
  const slug = featureSlug(featureName);
  if (!(await insertBlueprint(db, { id, workspaceId, projectId, featureName, slug, plan: emptyPlan() }))) {
    throw new ShipyardError("blueprint_exists", `the project already has a blueprint whose spec is ${specPath(slug)}: continue that one, or name the feature differently`, 409);
  }
  return getBlueprint(db, workspaceId, id);
}

/** One blueprint. */
export async function getBlueprint(db: Queryable, workspaceId: string, id: string): Promise<BlueprintView> {
  const row = await loadBlueprint(db, workspaceId, id);
  return blueprintView(row, await listReferences(db, id));
}

/** One blueprint with its conversation, oldest message first. */
export async function getBlueprintWithMessages(db: Queryable, workspaceId: string, id: string): Promise<BlueprintView & { messages: MessageView[] }> {
  const view = await getBlueprint(db, workspaceId, id);
  const messages = (await listMessages(db, id)).map((m) => ({ role: m.role, content: m.content, referenceIds: m.reference_ids, blueprint: m.snapshot, createdAt: m.created_at.toISOString() }));
  return { ...view, messages };
}

/** A project's blueprints, newest first (404 for a project outside the workspace). */
export async function listBlueprints(db: Queryable, workspaceId: string, projectId: string): Promise<BlueprintView[]> {
  await getProject(db, workspaceId, projectId);
  const rows = await listProjectBlueprints(db, workspaceId, projectId);
  return Promise.all(rows.map(async (r) => blueprintView(r, await listReferences(db, r.id))));
}

/** Delete a blueprint, its messages and its references' files; 409 while it is building. */
export async function removeBlueprint(deps: Pick<BlueprintDeps, "pool" | "dataDir">, workspaceId: string, id: string): Promise<void> {
  await loadBlueprint(deps.pool, workspaceId, id);
  if (!(await deleteBlueprint(deps.pool, workspaceId, id))) throw new ShipyardError("blueprint_busy", `blueprint ${id} is building; wait for its build to end (or cancel it) first`, 409);
  if (deps.dataDir) await fs.rm(path.join(deps.dataDir, "blueprints", id), { recursive: true, force: true });
}

/** Archive a blueprint: kept with its history, no longer chatted with or built; 409 while building or archived. */
export async function archive(db: Queryable, workspaceId: string, id: string): Promise<BlueprintView> {
  const bp = await loadBlueprint(db, workspaceId, id);
  if (!(await archiveBlueprint(db, workspaceId, id))) throw new ShipyardError("blueprint_busy", `blueprint ${id} is ${bp.status === "archived" ? "archived already" : "building; wait for its build to end first"}`, 409);
  return getBlueprint(db, workspaceId, id);
}

/** Store an uploaded image as a reference of the blueprint (type checked from its bytes), with its thumbnail. */
export async function uploadReference(deps: Pick<BlueprintDeps, "pool" | "dataDir">, workspaceId: string, blueprintId: string, bytes: Uint8Array, fileName: string | undefined): Promise<ReferenceView> {
  const bp = await loadBlueprint(deps.pool, workspaceId, blueprintId);
  if (bp.status === "archived") throw new ShipyardError("blueprint_busy", `blueprint ${blueprintId} is archived`, 409);
  const dataDir = filesDir(deps);
  const mediaType = checkUpload(bytes);
  return storeReference(deps.pool, dataDir, { blueprintId, workspaceId, type: "screenshot", source: (fileName ?? "upload").slice(0, 200), mediaType, bytes });
}

/** Capture a URL as a reference of the blueprint (the URL rules apply to the page and all it loads). */
export async function captureReference(deps: Pick<BlueprintDeps, "pool" | "dataDir" | "outbound">, workspaceId: string, blueprintId: string, url: string): Promise<ReferenceView> {
  const bp = await loadBlueprint(deps.pool, workspaceId, blueprintId);
  if (bp.status === "archived") throw new ShipyardError("blueprint_busy", `blueprint ${blueprintId} is archived`, 409);
  const dataDir = filesDir(deps);
  const png = await captureUrl(deps.outbound, url);
  return storeReference(deps.pool, dataDir, { blueprintId, workspaceId, type: "url", source: url, mediaType: "image/png", bytes: png });
}

/** Write a reference's files and its row (the files go again if the row cannot be written). */
async function storeReference(db: Queryable, dataDir: string, r: { blueprintId: string; workspaceId: string; type: "url" | "screenshot"; source: string; mediaType: ImageType; bytes: Uint8Array }): Promise<ReferenceView> {
  const id = newId("ref");
  const paths = referencePaths(r.blueprintId, id, r.mediaType);
  await writeReferenceFiles(dataDir, paths, r.bytes, await thumbnailOf(r.bytes, r.mediaType));
  const row = { id, blueprint_id: r.blueprintId, workspace_id: r.workspaceId, type: r.type, source: r.source, media_type: r.mediaType, image_path: paths.image, thumbnail_path: paths.thumbnail, bytes: r.bytes.length };
  try {
    await insertReference(db, row);
  } catch (err) {
    await removeReferenceFiles(dataDir, paths);
    throw err;
  }
  return referenceView({ ...row, created_at: new Date() });
}

/** A reference's image or thumbnail: its bytes and type (404 outside the workspace). */
export async function referenceFile(deps: Pick<BlueprintDeps, "pool" | "dataDir">, workspaceId: string, id: string, which: "image" | "thumbnail"): Promise<{ bytes: Buffer; type: string }> {
  const row = await referenceOfWorkspace(deps.pool, workspaceId, id);
  if (!row) throw notFound("reference", id);
  const file = path.join(filesDir(deps), which === "image" ? row.image_path : row.thumbnail_path);
  return { bytes: await fs.readFile(file), type: which === "image" ? row.media_type : "image/png" };
}
