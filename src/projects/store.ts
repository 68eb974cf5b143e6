import { inTransaction, type Pool, type Queryable } from "../db/pool.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import type { SecretStore } from "../secrets/store.ts";
import type { ProjectRecordInput } from "../jobs/schemas.ts";

/** A project as the API shows it: credentials are reported as present or not, never returned. */
export interface ProjectView {
  id: string;
  name: string;
  repo: string;
  defaultBranch: string;
  verify: string[];
  onVerifyFailure: "fail" | "rework";
  maxAttempts: number;
  github: { owner: string; repo: string; apiUrl?: string } | null;
  hasCredentials: boolean;
  /** The model of agent jobs that name none; null: the workspace's default. */
  defaultModel: string | null;
  /** The agent stage's sandbox has network. */
  agentNetwork: boolean;
  /** The template the project was created from; null: none. */
  template: string | null;
  /** The repository is Shipyard's own, under its data dir (created with the project). */
  managedRepo: boolean;
  /** The coding agent of the project's builds. */
  buildAgent: "builtin" | "claude-code";
  createdAt: string;
}

interface ProjectRow {
  id: string;
  workspace_id: string;
  name: string;
  repo: string;
  default_branch: string;
  verify: string[];
  on_verify_failure: "fail" | "rework";
  max_attempts: number;
  github: ProjectView["github"];
  credentials_secret: string | null;
  default_model: string | null;
  agent_network: boolean;
  template: string | null;
  managed_repo: boolean;
  build_agent: "builtin" | "claude-code";
  created_at: Date;
}

const toView = (r: ProjectRow): ProjectView => ({
  id: r.id,
  name: r.name,
  repo: r.repo,
  defaultBranch: r.default_branch,
  verify: r.verify,
  onVerifyFailure: r.on_verify_failure,
  maxAttempts: r.max_attempts,
  github: r.github,
  hasCredentials: r.credentials_secret !== null,
  defaultModel: r.default_model,
  agentNetwork: r.agent_network,
  template: r.template,
  managedRepo: r.managed_repo,
  buildAgent: r.build_agent,
  createdAt: r.created_at.toISOString(),
});

/** What only projects created from a template have. */
export interface ProjectOrigin {
  /** The id to use (its managed repository is named after it). */
  id: string;
  template: string;
  managedRepo: boolean;
  /** Runs after the row is written, before it commits: a throw leaves no project. */
  beforeCommit: () => Promise<void>;
}

/**
 * Register a project; its credentials go to the secret store under `git_token_<project id>`, in the same
 * transaction as the project, so a refused project (a name already taken) leaves no secret behind.
 */
export async function createProject(pool: Pool, secrets: SecretStore, workspaceId: string, input: ProjectRecordInput, origin?: ProjectOrigin): Promise<ProjectView> {
  const id = origin?.id ?? newId("prj");
  const secretName = input.credentials ? `git_token_${id}` : null;
  return inTransaction(pool, async (client) => {
    const res = await client.query<ProjectRow>(
      `insert into projects (id, workspace_id, name, repo, default_branch, verify, on_verify_failure, max_attempts, github, credentials_secret, default_model, agent_network, template, managed_repo, build_agent)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) on conflict (workspace_id, name) do nothing returning *`,
      [id, workspaceId, input.name, input.repo, input.defaultBranch, JSON.stringify(input.verify), input.onVerifyFailure, input.maxAttempts, input.github ? JSON.stringify(input.github) : null, secretName, input.defaultModel ?? null, input.agentNetwork, origin?.template ?? null, origin?.managedRepo ?? false, input.buildAgent],
    );
    const row = res.rows[0];
    if (!row) throw new ShipyardError("project_exists", `a project named "${input.name}" already exists in this workspace`, 409);
    if (input.credentials && secretName) {
      await secrets
        .within(client)
        .put(workspaceId, secretName, input.credentials)
        .catch((err: unknown) => {
          // The store's own checks (size, NUL) are the caller's mistake.
          throw err instanceof TypeError ? new ShipyardError("invalid_request", `credentials: ${err.message}`, 400, undefined, { cause: err }) : err;
        });
    }
    await origin?.beforeCommit();
    return toView(row);
  });
}

/** Projects of a workspace, by name. */
export async function listProjects(db: Queryable, workspaceId: string): Promise<ProjectView[]> {
  const res = await db.query<ProjectRow>("select * from projects where workspace_id = $1 order by name", [workspaceId]);
  return res.rows.map(toView);
}

/** True when the project exists in the workspace. */
export async function projectExists(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
  const project = await db.query("select 1 from projects where id = $1 and workspace_id = $2", [id, workspaceId]);
  return (project.rowCount ?? 0) > 0;
}

/** True when the workspace has a project called `name`. */
export async function projectNameTaken(db: Queryable, workspaceId: string, name: string): Promise<boolean> {
  const res = await db.query("select 1 from projects where workspace_id = $1 and name = $2", [workspaceId, name]);
  return (res.rowCount ?? 0) > 0;
}

/** One project of a workspace (404 otherwise). */
export async function getProject(db: Queryable, workspaceId: string, id: string): Promise<ProjectView & { credentialsSecret: string | null }> {
  const res = await db.query<ProjectRow>("select * from projects where id = $1 and workspace_id = $2", [id, workspaceId]);
  const row = res.rows[0];
  if (!row) throw notFound("project", id);
  return { ...toView(row), credentialsSecret: row.credentials_secret };
}

/** Where a project's builds go live (see src/previews/targets.ts). */
export const DEPLOY_TARGETS = ["builtin", "cloudflare-pages"] as const;
export type DeployTargetName = (typeof DEPLOY_TARGETS)[number];

/** A project's deploy target (404 for a project of another workspace). */
export async function projectDeployTarget(db: Queryable, workspaceId: string, id: string): Promise<DeployTargetName> {
  const res = await db.query<{ deploy_target: DeployTargetName }>("select deploy_target from projects where id = $1 and workspace_id = $2", [id, workspaceId]);
  const row = res.rows[0];
  if (!row) throw notFound("project", id);
  return row.deploy_target;
}

/** Choose a project's deploy target (404 for a project of another workspace). */
export async function setProjectDeployTarget(db: Queryable, workspaceId: string, id: string, target: DeployTargetName): Promise<void> {
  const res = await db.query("update projects set deploy_target = $3 where id = $1 and workspace_id = $2", [id, workspaceId, target]);
  if ((res.rowCount ?? 0) === 0) throw notFound("project", id);
}
