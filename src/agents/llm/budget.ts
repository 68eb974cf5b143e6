// Budgets: a per-operation budget and a per-workspace daily (UTC) budget, both in USD, checked before a
// call against what the ledger says was spent plus the call's estimated cost. Limits come from the caller
// or, when the caller gives none, from the `budgets` table (migration 004).
//
// The check is a guard, not a reservation: calls that start at the same moment each see the ledger without
// the others, so concurrent calls can overshoot a budget by up to their own estimates.
import type { Queryable } from "../../db/pool.ts";
import { BudgetExceededError, type BudgetKind } from "./errors.ts";
import { costOf, type ModelPrice } from "./prices.ts";
import type { CallOptions } from "./spec.ts";

/** What to check. A limit left undefined is read from the `budgets` table; null means no limit. */
export interface BudgetCheck {
  workspaceId: string | null;
  operationId: string | null;
  /** The task (one attempt of a step) making the call, and its own limit (never stored: it comes with the step). */
  taskId?: string | null;
  taskBudgetUsd?: number | null;
  operationBudgetUsd?: number | null;
  workspaceDailyBudgetUsd?: number | null;
  estimatedCostUsd: number;
  /** The moment whose UTC day counts for the daily budget; defaults to now. */
  now?: Date;
}

/** Set (or replace) a budget: the operation's when `operationId` is given, else the workspace's daily one. */
export async function setBudget(
  db: Queryable,
  b: { workspaceId: string; operationId?: string | null; limitUsd: number },
): Promise<void> {
  const kind: BudgetKind = b.operationId ? "operation" : "workspace_daily";
  await db.query(
    `insert into budgets (workspace_id, kind, operation_id, limit_usd) values ($1, $2, $3, $4)
     on conflict (workspace_id, kind, coalesce(operation_id, '')) do update set limit_usd = excluded.limit_usd, updated_at = now()`,
    [b.workspaceId, kind, b.operationId ?? null, b.limitUsd],
  );
}

/** Remove a budget; true when there was one. */
export async function clearBudget(db: Queryable, b: { workspaceId: string; operationId?: string | null }): Promise<boolean> {
  const r = await db.query(
    "delete from budgets where workspace_id = $1 and kind = $2 and coalesce(operation_id, '') = coalesce($3, '')",
    [b.workspaceId, b.operationId ? "operation" : "workspace_daily", b.operationId ?? null],
  );
  return (r.rowCount ?? 0) > 0;
}

async function storedLimit(db: Queryable, workspaceId: string | null, kind: BudgetKind, operationId: string | null): Promise<number | null> {
  if (!workspaceId || (kind === "operation" && !operationId)) return null;
  const { rows } = await db.query<{ limit_usd: string }>(
    "select limit_usd::text from budgets where workspace_id = $1 and kind = $2 and coalesce(operation_id, '') = coalesce($3, '')",
    [workspaceId, kind, kind === "operation" ? operationId : null],
  );
  return rows[0] ? Number(rows[0].limit_usd) : null;
}

/** A workspace's daily limit in USD, or null when it has none. */
export function workspaceDailyLimit(db: Queryable, workspaceId: string): Promise<number | null> {
  return storedLimit(db, workspaceId, "workspace_daily", null);
}

/** Start of the UTC day of `now`. */
export function utcDayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** USD spent by a task, by an operation, and by a workspace since the start of the UTC day of `now`. */
export async function spent(db: Queryable, workspaceId: string | null, operationId: string | null, now = new Date(), taskId: string | null = null) {
  const { rows } = await db.query<{ task: string; op: string; day: string }>(
    `select coalesce(sum(cost_usd) filter (where $4::text is not null and task_id = $4), 0)::text as task,
            coalesce(sum(cost_usd) filter (where $2::text is not null and operation_id = $2), 0)::text as op,
            coalesce(sum(cost_usd) filter (where created_at >= $3), 0)::text as day
     from model_usage where workspace_id is not distinct from $1 and (operation_id = $2 or created_at >= $3)`,
    [workspaceId, operationId, utcDayStart(now), taskId],
  );
  return { taskUsd: Number(rows[0]?.task ?? 0), operationUsd: Number(rows[0]?.op ?? 0), workspaceDayUsd: Number(rows[0]?.day ?? 0) };
}

/** Throw BudgetExceededError when spent + `estimatedCostUsd` would pass a budget; the step's, then the operation's, then the day's. */
export async function checkBudget(db: Queryable, c: BudgetCheck): Promise<void> {
  const taskLimit = c.taskId ? (c.taskBudgetUsd ?? null) : null;
  const opLimit = c.operationBudgetUsd !== undefined ? c.operationBudgetUsd : await storedLimit(db, c.workspaceId, "operation", c.operationId);
  const dayLimit =
    c.workspaceDailyBudgetUsd !== undefined ? c.workspaceDailyBudgetUsd : await storedLimit(db, c.workspaceId, "workspace_daily", null);
  if (taskLimit === null && opLimit === null && dayLimit === null) return;
  const s = await spent(db, c.workspaceId, c.operationId, c.now, c.taskId ?? null);
  // A tolerance of a billionth of a dollar keeps float noise from refusing a call that lands exactly on the limit.
  const over = (used: number, limit: number) => used + c.estimatedCostUsd > limit + 1e-9;
  if (taskLimit !== null && over(s.taskUsd, taskLimit)) throw new BudgetExceededError("step", s.taskUsd, taskLimit, c.estimatedCostUsd);
  if (opLimit !== null && c.operationId && over(s.operationUsd, opLimit)) {
    throw new BudgetExceededError("operation", s.operationUsd, opLimit, c.estimatedCostUsd);
  }
  if (dayLimit !== null && over(s.workspaceDayUsd, dayLimit)) {
    throw new BudgetExceededError("workspace_daily", s.workspaceDayUsd, dayLimit, c.estimatedCostUsd);
  }
}

/**
 * What is left (USD) of the tightest of the task's, the operation's (stored) and the workspace's daily (stored)
 * budgets, with the budget that decides it; null when none applies. For agents that call their provider
 * themselves (Claude Code), which can only be given one cap up front.
 */
export async function remainingBudget(
  db: Queryable,
  c: { workspaceId: string; operationId: string; taskId: string; taskBudgetUsd?: number | null; now?: Date },
): Promise<{ usd: number; budget: BudgetKind; spentUsd: number; limitUsd: number } | null> {
  const opLimit = await storedLimit(db, c.workspaceId, "operation", c.operationId);
  const dayLimit = await storedLimit(db, c.workspaceId, "workspace_daily", null);
  const taskLimit = c.taskBudgetUsd ?? null;
  if (taskLimit === null && opLimit === null && dayLimit === null) return null;
  const s = await spent(db, c.workspaceId, c.operationId, c.now, c.taskId);
  const candidates: { budget: BudgetKind; limitUsd: number | null; spentUsd: number }[] = [
    { budget: "step", limitUsd: taskLimit, spentUsd: s.taskUsd },
    { budget: "operation", limitUsd: opLimit, spentUsd: s.operationUsd },
    { budget: "workspace_daily", limitUsd: dayLimit, spentUsd: s.workspaceDayUsd },
  ];
  let tightest: { usd: number; budget: BudgetKind; spentUsd: number; limitUsd: number } | null = null;
  for (const b of candidates) {
    if (b.limitUsd === null) continue;
    const usd = Math.max(0, b.limitUsd - b.spentUsd);
    if (!tightest || usd < tightest.usd) tightest = { usd, budget: b.budget, spentUsd: b.spentUsd, limitUsd: b.limitUsd };
  }
  return tightest;
}

/** Output tokens assumed for a call that sets no `maxOutputTokens`. */
export const DEFAULT_ESTIMATED_OUTPUT_TOKENS = 512;

/**
 * A call's estimated cost: its prompt, tools and schema at about 4 characters a token, plus its
 * `maxOutputTokens` (or `assumedOutputTokens`) of output, at `price` (0 when unknown).
 */
export function estimateCost(params: CallOptions, price: ModelPrice | null, assumedOutputTokens = DEFAULT_ESTIMATED_OUTPUT_TOKENS): number {
  const chars = JSON.stringify([params.prompt, params.tools ?? null, params.responseFormat ?? null], (_k, v: unknown) =>
    v instanceof Uint8Array ? `${v.byteLength}` : v,
  ).length;
  const input = Math.ceil(chars / 4);
  const output = params.maxOutputTokens ?? assumedOutputTokens;
  return costOf(price, { input, output, cached: 0 }).costUsd;
}
