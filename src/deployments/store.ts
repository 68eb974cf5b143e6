// The `deployments` table (migration 021): what a deployment was asked for, its progress and what it made. Its
// status and error live on its operation row; every read for the API is scoped to the workspace.
import type { Queryable } from "../db/pool.ts";
import type { GeneratedFile, GeneratorName } from "./generators/index.ts";

/** A deployment row joined with its operation. */
export interface DeploymentRow {
  id: string;
  workspace_id: string;
  project_id: string;
  generator: GeneratorName;
  mode: "generate" | "execute";
  direct: boolean;
  config: Record<string, unknown>;
  target: unknown;
  current_step: string | null;
  steps_current: number;
  steps_total: number;
  message: string | null;
  files: GeneratedFile[] | null;
  commit_sha: string | null;
  branch: string | null;
  pr_url: string | null;
  deployment_url: string | null;
  runner_id: string | null;
  created_at: Date;
  status: "pending" | "running" | "succeeded" | "failed" | "cancelled";
  error: string | null;
  finished_at: Date | null;
}

const SELECT = `select d.*, o.status, o.error, o.finished_at from deployments d join operations o on o.id = d.id`;

/** Insert a deployment (its operation row exists). */
export async function insertDeployment(
  db: Queryable,
  d: { id: string; workspaceId: string; projectId: string; generator: GeneratorName; mode: "generate" | "execute"; direct: boolean; config: unknown; target: unknown; stepsTotal: number },
): Promise<void> {
  await db.query(
    "insert into deployments (id, workspace_id, project_id, generator, mode, direct, config, target, steps_total) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    [d.id, d.workspaceId, d.projectId, d.generator, d.mode, d.direct, JSON.stringify(d.config), d.target === undefined ? null : JSON.stringify(d.target), d.stepsTotal],
  );
}

/** A deployment of the workspace, or null. */
export async function deploymentOfWorkspace(db: Queryable, workspaceId: string, id: string): Promise<DeploymentRow | null> {
  return (await db.query<DeploymentRow>(`${SELECT} where d.id = $1 and d.workspace_id = $2`, [id, workspaceId])).rows[0] ?? null;
}

/** A deployment by id (workflow code). */
export async function loadDeployment(db: Queryable, id: string): Promise<DeploymentRow | null> {
  return (await db.query<DeploymentRow>(`${SELECT} where d.id = $1`, [id])).rows[0] ?? null;
}

/** The workspace's deployments (of one project, when given), newest first. */
export async function listDeploymentRows(db: Queryable, workspaceId: string, projectId: string | null, limit: number): Promise<DeploymentRow[]> {
  return (
    await db.query<DeploymentRow>(`${SELECT} where d.workspace_id = $1 and ($2::text is null or d.project_id = $2) order by d.created_at desc, d.id desc limit $3`, [workspaceId, projectId, limit])
  ).rows;
}

/** The deployment entered step `step` (1-based `index`), with a line about it. */
export async function setDeploymentStep(db: Queryable, id: string, step: string, index: number, message: string): Promise<void> {
  await db.query("update deployments set current_step = $2, steps_current = $3, message = $4 where id = $1", [id, step, index, message]);
}

/** Record what a deployment made so far (fields left undefined are kept). */
export async function recordDeployment(
  db: Queryable,
  id: string,
  r: { files?: GeneratedFile[]; commit?: string; branch?: string; prUrl?: string; deploymentUrl?: string; runnerId?: string; message?: string },
): Promise<void> {
  await db.query(
    `update deployments set files = coalesce($2, files), commit_sha = coalesce($3, commit_sha), branch = coalesce($4, branch), pr_url = coalesce($5, pr_url),
       deployment_url = coalesce($6, deployment_url), runner_id = coalesce($7, runner_id), message = coalesce($8, message)
     where id = $1`,
    [id, r.files ? JSON.stringify(r.files) : null, r.commit ?? null, r.branch ?? null, r.prUrl ?? null, r.deploymentUrl ?? null, r.runnerId ?? null, r.message ?? null],
  );
}

