// The `builds` table (migration 017): what a build made. Its status and error live on its operation row.
import type { Queryable } from "../db/pool.ts";
import type { BuildPhase } from "../events/catalogue.ts";
import type { BuildView, PlanOutput } from "./schemas.ts";

/** A build row joined with its operation. */
export interface BuildRow {
  id: string;
  workspace_id: string;
  project_id: string;
  prompt: string | null;
  blueprint_id: string | null;
  spec_path: string | null;
  phase: BuildPhase | null;
  tasks: PlanOutput["tasks"] | null;
  runner_id: string | null;
  commit_sha: string | null;
  preview_version: number | null;
  preview_url: string | null;
  screenshot: string | null;
  fix_attempts: number;
  max_fix_attempts: number;
  created_at: Date;
  status: BuildView["status"];
  error: string | null;
  finished_at: Date | null;
}

const SELECT = `select b.*, o.status, o.error, o.finished_at from builds b join operations o on o.id = b.id`;

/** Insert a build (its operation row exists). */
export async function insertBuild(db: Queryable, b: { id: string; workspaceId: string; projectId: string; prompt: string | null; maxFixAttempts: number; blueprintId?: string; specPath?: string }): Promise<void> {
  await db.query("insert into builds (id, workspace_id, project_id, prompt, max_fix_attempts, blueprint_id, spec_path) values ($1, $2, $3, $4, $5, $6, $7)", [
    b.id,
    b.workspaceId,
    b.projectId,
    b.prompt,
    b.maxFixAttempts,
    b.blueprintId ?? null,
    b.specPath ?? null,
  ]);
}

/** A build of the workspace, or null. */
export async function buildOfWorkspace(db: Queryable, workspaceId: string, id: string): Promise<BuildRow | null> {
  return (await db.query<BuildRow>(`${SELECT} where b.id = $1 and b.workspace_id = $2`, [id, workspaceId])).rows[0] ?? null;
}

/** A build by id (workflow code). */
export async function loadBuild(db: Queryable, id: string): Promise<BuildRow | null> {
  return (await db.query<BuildRow>(`${SELECT} where b.id = $1`, [id])).rows[0] ?? null;
}

/** A project's builds, newest first. */
export async function listProjectBuilds(db: Queryable, workspaceId: string, projectId: string, limit: number): Promise<BuildRow[]> {
  return (await db.query<BuildRow>(`${SELECT} where b.workspace_id = $1 and b.project_id = $2 order by b.created_at desc limit $3`, [workspaceId, projectId, limit])).rows;
}

/** The build entered a phase. */
export async function setBuildPhase(db: Queryable, id: string, phase: BuildPhase): Promise<void> {
  await db.query("update builds set phase = $2 where id = $1", [id, phase]);
}

/** Record what a build made so far (fields left undefined are kept). */
export async function recordBuild(
  db: Queryable,
  id: string,
  r: { tasks?: PlanOutput["tasks"]; runnerId?: string; commit?: string; previewVersion?: number; previewUrl?: string; screenshot?: string; fixAttempts?: number },
): Promise<void> {
  await db.query(
    `update builds set tasks = coalesce($2, tasks), runner_id = coalesce($3, runner_id), commit_sha = coalesce($4, commit_sha),
       preview_version = coalesce($5, preview_version), preview_url = coalesce($6, preview_url), screenshot = coalesce($7, screenshot),
       fix_attempts = coalesce($8, fix_attempts)
     where id = $1`,
    [id, r.tasks ? JSON.stringify(r.tasks) : null, r.runnerId ?? null, r.commit ?? null, r.previewVersion ?? null, r.previewUrl ?? null, r.screenshot ?? null, r.fixAttempts ?? null],
  );
}

