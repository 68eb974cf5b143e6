// The `workspaces` table: every statement that reads or writes it.
import type { Queryable } from "../db/pool.ts";

/** Insert a workspace; false when the name is taken. */
export async function insertWorkspace(db: Queryable, id: string, name: string): Promise<boolean> {
  const inserted = await db.query("insert into workspaces (id, name) values ($1, $2) on conflict (name) do nothing", [id, name]);
  return inserted.rowCount !== 0;
}

/** A workspace as listed: id, name, when it was created. */
export interface WorkspaceView {
  id: string;
  name: string;
  createdAt: string;
}

/** Every workspace of the installation, oldest first. */
export async function listWorkspaces(db: Queryable): Promise<WorkspaceView[]> {
  const res = await db.query<{ id: string; name: string; created_at: Date }>("select id, name, created_at from workspaces order by created_at, id");
  return res.rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at.toISOString() }));
}

/** The id of the workspace named `name`, created with `id` when there is none. */
export async function ensureWorkspace(db: Queryable, id: string, name: string): Promise<string> {
  await insertWorkspace(db, id, name);
  const ws = await db.query<{ id: string }>("select id from workspaces where name = $1", [name]);
  return ws.rows[0]!.id;
}

/** A workspace's own settings. */
export interface WorkspaceSettings {
  /** `provider:model` of llm/agent steps and agent jobs that name none, or null. */
  defaultModel: string | null;
  /** Steps that do not say `network:` get network in their sandbox. */
  stepNetwork: boolean;
}

/** A workspace's settings. */
export async function workspaceSettings(db: Queryable, workspaceId: string): Promise<WorkspaceSettings> {
  const res = await db.query<{ default_model: string | null; step_network: boolean }>("select default_model, step_network from workspaces where id = $1", [workspaceId]);
  const row = res.rows[0];
  return { defaultModel: row?.default_model ?? null, stepNetwork: row?.step_network ?? false };
}

/** A workspace's default model (`provider:model`), or null. */
export async function workspaceDefaultModel(db: Queryable, workspaceId: string): Promise<string | null> {
  return (await workspaceSettings(db, workspaceId)).defaultModel;
}

/** Change the given settings of a workspace (null defaultModel: remove it); returns them all. */
export async function updateWorkspaceSettings(db: Queryable, workspaceId: string, change: Partial<WorkspaceSettings>): Promise<WorkspaceSettings> {
  const res = await db.query<{ default_model: string | null; step_network: boolean }>(
    `update workspaces set default_model = case when $2 then $3 else default_model end, step_network = coalesce($4, step_network)
     where id = $1 returning default_model, step_network`,
    [workspaceId, change.defaultModel !== undefined, change.defaultModel ?? null, change.stepNetwork ?? null],
  );
  const row = res.rows[0];
  return { defaultModel: row?.default_model ?? null, stepNetwork: row?.step_network ?? false };
}
