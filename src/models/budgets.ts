// Budgets as the API shows and sets them: the workspace's daily limit and today's spend, an operation's own limit.
import { clearBudget, setBudget, spent, workspaceDailyLimit } from "../agents/llm/index.ts";
import type { Queryable } from "../db/pool.ts";
import { notFound } from "../domain/errors.ts";
import { operationExists } from "../operations/store.ts";

/** The workspace's daily limit (null: none) and what it spent since the start of the UTC day. */
export async function workspaceBudgets(db: Queryable, workspaceId: string): Promise<{ workspaceDailyUsd: number | null; spentTodayUsd: number }> {
  const limit = await workspaceDailyLimit(db, workspaceId);
  const s = await spent(db, workspaceId, null);
  return { workspaceDailyUsd: limit, spentTodayUsd: s.workspaceDayUsd };
}

/** Set (or with null remove) the workspace's daily limit; returns the budgets. */
export async function setWorkspaceBudget(db: Queryable, workspaceId: string, limitUsd: number | null): Promise<{ workspaceDailyUsd: number | null; spentTodayUsd: number }> {
  if (limitUsd === null) await clearBudget(db, { workspaceId });
  else await setBudget(db, { workspaceId, limitUsd });
  return workspaceBudgets(db, workspaceId);
}

/** Set (or with null remove) an operation's own limit (404 outside the workspace); returns it with the spend so far. */
export async function setOperationBudget(
  db: Queryable,
  workspaceId: string,
  operationId: string,
  limitUsd: number | null,
): Promise<{ operationId: string; limitUsd: number | null; spentUsd: number }> {
  if (!(await operationExists(db, workspaceId, operationId))) throw notFound("operation", operationId);
  if (limitUsd === null) await clearBudget(db, { workspaceId, operationId });
  else await setBudget(db, { workspaceId, operationId, limitUsd });
  const s = await spent(db, workspaceId, operationId);
  return { operationId, limitUsd, spentUsd: s.operationUsd };
}
