// The server end of an agent's model calls. An agent runs on a runner, but its model calls come here with the
// task's token: the server resolves the task's model with the workspace's secrets (keys never reach runners),
// checks the step's, the operation's and the workspace's budgets before the call, records the usage after it,
// and plays cassettes for `replay:` models, so remote runners need neither keys nor cassettes.
import { BudgetExceededError, meteredModel, parseSpec, recordUsage, remainingBudget, resolveModel, type LlmMetrics } from "../agents/llm/index.ts";
import { responseOf, type CassetteResponse } from "../agents/llm/cassette.ts";
import type { CallOptions } from "../agents/llm/spec.ts";
import type { Pool } from "../db/pool.ts";
import { ShipyardError } from "../domain/errors.ts";
import type { AssignedTask, ModelAccess } from "../tasks/spec.ts";
import { taskWithProject, type TaskWithProject } from "../tasks/store.ts";
import { appendBudgetEvent, appendUsageEvent, type CallingTask } from "../models/model-events.ts";
import type { Logger } from "../logger.ts";
import type { SecretStore } from "../secrets/store.ts";
import type { TaskTokenClaims, TaskTokens } from "./task-tokens.ts";

/** What proxying a call needs. */
export interface ModelProxyDeps {
  pool: Pool;
  secrets: SecretStore;
  log: Logger;
  cassettesDir?: string;
  llmMetrics?: LlmMetrics;
}

/** The answer to a proxied call, in the cassette format (JSON-safe content, finish reason, token counts). */
export interface ProxiedAnswer {
  modelId: string;
  response: CassetteResponse;
}

/** The running task a token was minted for, with the model it was given; 409/403 otherwise. */
async function callingTask(deps: ModelProxyDeps, claims: TaskTokenClaims): Promise<{ row: TaskWithProject; access: ModelAccess; task: CallingTask }> {
  const row = await taskWithProject(deps.pool, claims.taskId);
  if (!row || row.dispatch !== claims.dispatch || row.status !== "assigned") {
    throw new ShipyardError("task_not_running", `task ${claims.taskId} is not running (finished, cancelled or handed out again)`, 409);
  }
  const access = row.spec.modelAccess;
  if (!access) throw new ShipyardError("no_model_access", `task ${claims.taskId} was not given a model`, 403);
  return { row, access, task: { operationId: row.operation_id, taskId: claims.taskId, stepId: row.step_id, attempt: row.attempt, dispatch: row.dispatch } };
}

/** Call the model of the task `claims` names, on its behalf; errors are ShipyardErrors with a stable code. */
export async function proxyModelCall(deps: ModelProxyDeps, claims: TaskTokenClaims, params: CallOptions, signal: AbortSignal): Promise<ProxiedAnswer> {
  const { row, access, task } = await callingTask(deps, claims);
  const resolved = resolveModel(access.model, { cassettesDir: deps.cassettesDir, getSecret: (name) => deps.secrets.get(row.workspace_id, name) });
  const model = meteredModel(resolved, {
    db: deps.pool,
    workspaceId: row.workspace_id,
    operationId: row.operation_id,
    projectId: row.project_id,
    taskId: claims.taskId,
    taskBudgetUsd: access.budgetUsd ?? null,
    metrics: deps.llmMetrics,
    onUsage: (u) => appendUsageEvent(deps.pool, task, u),
  });
  try {
    const result = await model.doGenerate({ ...params, abortSignal: signal });
    return { modelId: resolved.modelId, response: responseOf(result.content, result.finishReason, result.usage) };
  } catch (err) {
    if (err instanceof BudgetExceededError) {
      await appendBudgetEvent(deps.pool, task, access.model, err).catch((e: Error) => deps.log.warn({ err: e.message, taskId: claims.taskId }, "could not append budget_exceeded event"));
    }
    if (err instanceof ShipyardError) throw err;
    if (signal.aborted) throw new ShipyardError("cancelled", "the model call was abandoned by its caller", 499);
    // A provider's error (bad request, rate limit, outage): its message names the cause and never a key.
    throw new ShipyardError("llm_call_failed", `model ${access.model}: ${err instanceof Error ? err.message : String(err)}`, 502, undefined, { cause: err });
  }
}

/** What an agent that calls its provider itself (Claude Code) reports at the end of its run. */
export interface ReportedUsage {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
}

/**
 * Record a whole agent run's reported usage as one `agent` ledger row with a `usage` event, once per task
 * dispatch (a repeated report changes nothing). Returns false for a repeat.
 */
export async function recordAgentUsage(deps: ModelProxyDeps, claims: TaskTokenClaims, u: ReportedUsage): Promise<boolean> {
  const { row, access, task } = await callingTask(deps, claims);
  const stored = await recordUsage(
    deps.pool,
    {
      provider: parseSpec(access.model).provider,
      model: u.model,
      inputTokens: u.inputTokens,
      outputTokens: u.outputTokens,
      cachedTokens: u.cachedTokens,
      latencyMs: 0,
      callKind: "agent",
      workspaceId: row.workspace_id,
      operationId: row.operation_id,
      projectId: row.project_id,
      taskId: claims.taskId,
      costUsd: u.costUsd,
      dedupeKey: `agent:${claims.taskId}:${claims.dispatch}`,
    },
    { metrics: deps.llmMetrics },
  );
  if (stored.id === 0) return false;
  await appendUsageEvent(deps.pool, task, stored);
  return true;
}

/**
 * The environment a task with model access gets when it is sent: its token and, when a budget applies, what is
 * left of the tightest one (`SHIPYARD_BUDGET_USD`, Claude Code's `--max-budget-usd`). With nothing left the run
 * also gets its `budget_exceeded` event now, since such an agent never asks this server first.
 */
export async function modelAccessEnv(pool: Pool, tokens: TaskTokens, t: AssignedTask, access: ModelAccess): Promise<Record<string, string>> {
  const { taskId, dispatch, runId, stepId, attempt } = t.message;
  const env: Record<string, string> = { SHIPYARD_TASK_TOKEN: tokens.mint(taskId, dispatch) };
  const left = await remainingBudget(pool, { workspaceId: t.workspaceId, operationId: runId, taskId, taskBudgetUsd: access.budgetUsd ?? null });
  if (!left) return env;
  const usd = Math.floor(left.usd * 1e6) / 1e6;
  env.SHIPYARD_BUDGET_USD = String(usd);
  if (usd <= 0) {
    const task: CallingTask = { operationId: runId, taskId, stepId, attempt, dispatch };
    await appendBudgetEvent(pool, task, access.model, new BudgetExceededError(left.budget, left.spentUsd, left.limitUsd, 0));
  }
  return env;
}
