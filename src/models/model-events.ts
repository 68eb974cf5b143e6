// The events a model call leaves on its operation's log: `usage` after each recorded call and
// `budget_exceeded` when a budget refused one. Shared by llm steps (run by the server) and agents (whose calls
// come through the server's model endpoint).
import type { BudgetExceededError, StoredUsage } from "../agents/llm/index.ts";
import type { Pool } from "../db/pool.ts";
import { appendEventsNow } from "../events/store.ts";

/** The task a model call belongs to. */
export interface CallingTask {
  operationId: string;
  taskId: string;
  stepId: string | null;
  attempt: number | null;
  dispatch: number;
}

/** Append a `usage` event for one recorded call. */
export async function appendUsageEvent(db: Pool, task: CallingTask, u: StoredUsage): Promise<void> {
  await appendEventsNow(db, task.operationId, [
    {
      type: "usage",
      payload: {
        stepId: task.stepId,
        attempt: task.attempt,
        taskId: task.taskId,
        provider: u.provider,
        model: u.model,
        inputTokens: u.inputTokens,
        outputTokens: u.outputTokens,
        cachedTokens: u.cachedTokens ?? 0,
        costUsd: u.costUsd,
        priced: u.priced,
        latencyMs: Math.round(u.latencyMs),
      },
    },
  ]);
}

/** Append the `budget_exceeded` event of a refused call (once per task dispatch: a retried refusal adds none). */
export async function appendBudgetEvent(db: Pool, task: CallingTask, model: string, err: BudgetExceededError): Promise<void> {
  await appendEventsNow(db, task.operationId, [
    {
      type: "budget_exceeded",
      payload: {
        stepId: task.stepId,
        taskId: task.taskId,
        attempt: task.attempt,
        model,
        budget: err.budget,
        spentUsd: err.spentUsd,
        limitUsd: err.limitUsd,
        estimatedCostUsd: err.estimatedCostUsd,
      },
      dedupeKey: `budget_exceeded:${task.taskId}:${task.dispatch}`,
    },
  ]);
}
