// The tables of migration 020: blueprints, their chat messages and their design references. Every read a
// request makes names the workspace; the build workflow's writes go by the build's id.
import type { Queryable } from "../db/pool.ts";
import type { BlueprintStatus, BlueprintView, Plan } from "./schemas.ts";

/** A blueprints row. */
export interface BlueprintRow {
  id: string;
  workspace_id: string;
  project_id: string;
  feature_name: string;
  slug: string;
  plan: Plan;
  status: BlueprintStatus;
  version: number;
  last_build_id: string | null;
  built_commit: string | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A blueprint_references row. */
export interface ReferenceRow {
  id: string;
  blueprint_id: string;
  workspace_id: string;
  type: "url" | "screenshot";
  source: string;
  media_type: string;
  image_path: string;
  thumbnail_path: string;
  bytes: number;
  created_at: Date;
}

/** A blueprint_messages row. */
export interface MessageRow {
  role: "user" | "architect";
  content: string;
  reference_ids: string[];
  snapshot: BlueprintView | null;
  created_at: Date;
}

/** Insert a new blueprint; false when the project already has one with this slug. */
export async function insertBlueprint(db: Queryable, b: { id: string; workspaceId: string; projectId: string; featureName: string; slug: string; plan: Plan }): Promise<boolean> {
  const res = await db.query(
    "insert into blueprints (id, workspace_id, project_id, feature_name, slug, plan) values ($1, $2, $3, $4, $5, $6) on conflict (project_id, slug) do nothing",
    [b.id, b.workspaceId, b.projectId, b.featureName, b.slug, JSON.stringify(b.plan)],
  );
  return (res.rowCount ?? 0) > 0;
}

/** A blueprint of the workspace, or null. */
export async function blueprintOfWorkspace(db: Queryable, workspaceId: string, id: string): Promise<BlueprintRow | null> {
  return (await db.query<BlueprintRow>("select * from blueprints where id = $1 and workspace_id = $2", [id, workspaceId])).rows[0] ?? null;
}

/** A project's blueprints, newest first. */
export async function listProjectBlueprints(db: Queryable, workspaceId: string, projectId: string): Promise<BlueprintRow[]> {
  return (await db.query<BlueprintRow>("select * from blueprints where workspace_id = $1 and project_id = $2 order by created_at desc, id desc", [workspaceId, projectId])).rows;
}

/** Delete a blueprint unless it is building (its messages and references go with it); false when nothing was deleted. */
export async function deleteBlueprint(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
  const res = await db.query("delete from blueprints where id = $1 and workspace_id = $2 and status <> 'building'", [id, workspaceId]);
  return (res.rowCount ?? 0) > 0;
}

/** Archive a draft or built blueprint (kept, read-only); false when it is building or archived already. */
export async function archiveBlueprint(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
  const res = await db.query("update blueprints set status = 'archived', updated_at = now() where id = $1 and workspace_id = $2 and status in ('draft', 'built')", [id, workspaceId]);
  return (res.rowCount ?? 0) > 0;
}

/** Store a turn's plan if the blueprint is still at `version` and not building; the new row, or null when it moved on. */
export async function updatePlan(db: Queryable, id: string, version: number, plan: Plan, status: BlueprintStatus): Promise<BlueprintRow | null> {
  const res = await db.query<BlueprintRow>(
    `update blueprints set plan = $3, status = $4, version = version + 1, updated_at = now()
      where id = $1 and version = $2 and status in ('draft', 'built') returning *`,
    [id, version, JSON.stringify(plan), status],
  );
  return res.rows[0] ?? null;
}

/** Append messages to a blueprint's history, in order. */
export async function insertMessages(db: Queryable, blueprintId: string, messages: { role: "user" | "architect"; content: string; referenceIds: string[]; snapshot: BlueprintView | null }[]): Promise<void> {
  for (const m of messages) {
    await db.query("insert into blueprint_messages (blueprint_id, role, content, reference_ids, snapshot) values ($1, $2, $3, $4, $5)", [
      blueprintId,
      m.role,
      m.content,
      JSON.stringify(m.referenceIds),
      m.snapshot ? JSON.stringify(m.snapshot) : null,
    ]);
  }
}

/** A blueprint's messages, oldest first. */
export async function listMessages(db: Queryable, blueprintId: string): Promise<MessageRow[]> {
  return (await db.query<MessageRow>("select role, content, reference_ids, snapshot, created_at from blueprint_messages where blueprint_id = $1 order by id", [blueprintId])).rows;
}

/** Insert a stored reference. */
export async function insertReference(db: Queryable, r: Omit<ReferenceRow, "created_at">): Promise<void> {
  await db.query(
    "insert into blueprint_references (id, blueprint_id, workspace_id, type, source, media_type, image_path, thumbnail_path, bytes) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    [r.id, r.blueprint_id, r.workspace_id, r.type, r.source, r.media_type, r.image_path, r.thumbnail_path, r.bytes],
  );
}

/** A blueprint's references, oldest first. */
export async function listReferences(db: Queryable, blueprintId: string): Promise<ReferenceRow[]> {
  return (await db.query<ReferenceRow>("select * from blueprint_references where blueprint_id = $1 order by created_at, id", [blueprintId])).rows;
}

/** One reference of the workspace, or null. */
export async function referenceOfWorkspace(db: Queryable, workspaceId: string, id: string): Promise<ReferenceRow | null> {
  return (await db.query<ReferenceRow>("select * from blueprint_references where id = $1 and workspace_id = $2", [id, workspaceId])).rows[0] ?? null;
}

/** Mark a ready blueprint as building by `buildId`; false when it changed since `version` or is not draft/built. */
export async function markBuilding(db: Queryable, id: string, version: number, buildId: string): Promise<boolean> {
  const res = await db.query(
    "update blueprints set status = 'building', last_build_id = $3, last_error = null, updated_at = now() where id = $1 and version = $2 and status in ('draft', 'built')",
    [id, version, buildId],
  );
  return (res.rowCount ?? 0) > 0;
}

/** The end of a blueprint's build: built (with its commit) or back to draft with the failure. Idempotent; a no-op for builds of no blueprint. */
export async function recordBlueprintBuild(db: Queryable, buildId: string, outcome: { ok: true; commit: string | null } | { ok: false; error: string }): Promise<void> {
  if (outcome.ok) {
    await db.query("update blueprints set status = 'built', built_commit = coalesce($2, built_commit), last_error = null, updated_at = now() where last_build_id = $1 and status = 'building'", [buildId, outcome.commit]);
  } else {
    await db.query("update blueprints set status = 'draft', last_error = $2, updated_at = now() where last_build_id = $1 and status = 'building'", [buildId, outcome.error]);
  }
}
