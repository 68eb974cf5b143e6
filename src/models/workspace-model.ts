// The one path from "this project's model" to a callable, metered model: the project's default model, else the
// workspace's; keys from the workspace's secrets (else the server's environment); every call budget-checked
// and recorded against the workspace, the operation (or blueprint) and the project. Builds' plans and the
// Architect both go through it.
import { meteredModel, resolveModel, type LlmMetrics, type ModelV3 } from "../agents/llm/index.ts";
import type { Queryable } from "../db/pool.ts";
import type { SecretStore } from "../secrets/store.ts";
import { workspaceSettings } from "../workspaces/store.ts";

/** What calling a workspace's model needs. */
export interface ModelDeps {
  pool: Queryable;
  secrets: SecretStore;
  cassettesDir?: string;
  llmMetrics?: LlmMetrics;
}

/** The model a project's calls use: its own default, else the workspace's; null when neither is set. */
export async function projectModelSpec(db: Queryable, workspaceId: string, project: { defaultModel: string | null }): Promise<string | null> {
  return project.defaultModel ?? (await workspaceSettings(db, workspaceId)).defaultModel;
}

/** `spec` resolved for the workspace and metered: usage goes to the ledger under `operationId` (any id that groups the calls). */
export function meteredWorkspaceModel(deps: ModelDeps, ctx: { workspaceId: string; operationId: string; projectId: string | null; model: string }): ModelV3 {
  const resolved = resolveModel(ctx.model, { cassettesDir: deps.cassettesDir, getSecret: (name) => deps.secrets.get(ctx.workspaceId, name) });
  return meteredModel(resolved, { db: deps.pool, workspaceId: ctx.workspaceId, operationId: ctx.operationId, projectId: ctx.projectId, metrics: deps.llmMetrics });
}
