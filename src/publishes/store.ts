// The `publishes` table (migration 019): what a publish moves where. Its status and error live on its operation row.
import type { Queryable } from "../db/pool.ts";
import type { PublishPhase } from "../events/catalogue.ts";
import type { Environment } from "../previews/store.ts";
import type { DeployTargetName } from "../projects/store.ts";
import type { PublishView } from "./schemas.ts";

/** A publish row joined with its operation. */
export interface PublishRow {
  id: string;
  workspace_id: string;
  project_id: string;
  from_environment: Environment;
  to_environment: Environment;
  version: number;
  deploy_target: DeployTargetName;
  phase: PublishPhase | null;
  url: string | null;
  screenshot: string | null;
  created_at: Date;
  status: PublishView["status"];
  error: string | null;
  finished_at: Date | null;
}

const SELECT = `select p.*, o.status, o.error, o.finished_at from publishes p join operations o on o.id = p.id`;

/** Insert a publish (its operation row exists). */
export async function insertPublish(
  db: Queryable,
  p: { id: string; workspaceId: string; projectId: string; from: Environment; to: Environment; version: number; deployTarget: DeployTargetName },
): Promise<void> {
  await db.query(
    "insert into publishes (id, workspace_id, project_id, from_environment, to_environment, version, deploy_target) values ($1, $2, $3, $4, $5, $6, $7)",
    [p.id, p.workspaceId, p.projectId, p.from, p.to, p.version, p.deployTarget],
  );
}

/** A publish of the workspace, or null. */
export async function publishOfWorkspace(db: Queryable, workspaceId: string, id: string): Promise<PublishRow | null> {
  return (await db.query<PublishRow>(`${SELECT} where p.id = $1 and p.workspace_id = $2`, [id, workspaceId])).rows[0] ?? null;
}

/** A publish by id (workflow code). */
export async function loadPublish(db: Queryable, id: string): Promise<PublishRow | null> {
  return (await db.query<PublishRow>(`${SELECT} where p.id = $1`, [id])).rows[0] ?? null;
}

/** A project's publishes, newest first. */
export async function listProjectPublishes(db: Queryable, workspaceId: string, projectId: string, limit: number): Promise<PublishRow[]> {
  return (await db.query<PublishRow>(`${SELECT} where p.workspace_id = $1 and p.project_id = $2 order by p.created_at desc limit $3`, [workspaceId, projectId, limit])).rows;
}

/** Record what a publish did so far (fields left undefined are kept). */
export async function recordPublish(db: Queryable, id: string, r: { phase?: PublishPhase; url?: string; screenshot?: string }): Promise<void> {
  await db.query("update publishes set phase = coalesce($2, phase), url = coalesce($3, url), screenshot = coalesce($4, screenshot) where id = $1", [
    id,
    r.phase ?? null,
    r.url ?? null,
    r.screenshot ?? null,
  ]);
}

