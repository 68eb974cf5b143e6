// Metering middleware: before each call the budgets are checked against the call's estimated cost (so an
// over-budget call never reaches the provider); after it the usage and its cost go to the ledger and the
// counters. Streams are recorded when they finish; an aborted or failed stream records nothing.
import { wrapLanguageModel } from "ai";
import type { Queryable } from "../../db/pool.ts";
import { checkBudget, estimateCost } from "./budget.ts";
import { DEFAULT_PRICES, priceOf, type PriceTable } from "./prices.ts";
import { providerFamily, tokenCounts, type CallOptions, type ModelUsage, type ModelV3 } from "./spec.ts";
import { collectStream } from "./stream.ts";
import { recordUsage, type LlmMetrics, type StoredUsage } from "./usage.ts";

/** Who pays for the calls of a metered model, and within which limits. */
export interface MeterContext {
  db: Queryable;
  workspaceId: string | null;
  operationId: string | null;
  projectId?: string | null;
  /** The task making the calls, and its own limit in USD (an agent step's `budget_usd`). */
  taskId?: string | null;
  taskBudgetUsd?: number | null;
  /** Limits in USD; undefined reads the `budgets` table, null means no limit. */
  operationBudgetUsd?: number | null;
  workspaceDailyBudgetUsd?: number | null;
  prices?: PriceTable;
  metrics?: LlmMetrics;
  /** The provider name in the ledger; defaults to the model's provider family (`anthropic`, `openai`, ...). */
  provider?: string;
  /** Output tokens assumed by the estimate when a call sets no `maxOutputTokens`. */
  assumedOutputTokens?: number;
  /** Told of each recorded call (e.g. to append a usage event); a failure here does not fail the call. */
  onUsage?: (usage: StoredUsage) => void | Promise<void>;
}

/** `model` wrapped so each call is budget-checked before and recorded after. */
export function meteredModel(model: ModelV3, ctx: MeterContext): ModelV3 {
  const provider = ctx.provider ?? providerFamily(model);
  const prices = ctx.prices ?? DEFAULT_PRICES;
  const price = priceOf(prices, provider, model.modelId);

  const guard = (params: CallOptions) =>
    checkBudget(ctx.db, {
      workspaceId: ctx.workspaceId,
      operationId: ctx.operationId,
      taskId: ctx.taskId ?? null,
      taskBudgetUsd: ctx.taskBudgetUsd ?? null,
      operationBudgetUsd: ctx.operationBudgetUsd,
      workspaceDailyBudgetUsd: ctx.workspaceDailyBudgetUsd,
      estimatedCostUsd: estimateCost(params, price, ctx.assumedOutputTokens),
    });

  const record = async (usage: ModelUsage, latencyMs: number, callKind: "generate" | "stream") => {
    const t = tokenCounts(usage);
    const stored = await recordUsage(
      ctx.db,
      {
        provider,
        model: model.modelId,
        inputTokens: t.input,
        outputTokens: t.output,
        cachedTokens: t.cached,
        latencyMs,
        callKind,
        workspaceId: ctx.workspaceId,
        operationId: ctx.operationId,
        projectId: ctx.projectId ?? null,
        taskId: ctx.taskId ?? null,
      },
      { prices, metrics: ctx.metrics },
    );
    try {
      await ctx.onUsage?.(stored);
    } catch {
      // The call succeeded and is recorded; an observer's failure must not turn it into an error.
    }
  };

  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: "v3",
      async wrapGenerate({ doGenerate, params }) {
        await guard(params);
        const started = performance.now();
        const result = await doGenerate();
        await record(result.usage, performance.now() - started, "generate");
        return result;
      },
      async wrapStream({ doStream, params }) {
        await guard(params);
        const started = performance.now();
        const { stream, ...rest } = await doStream();
        const metered = stream.pipeThrough(collectStream((c) => record(c.usage, performance.now() - started, "stream")));
        return { stream: metered, ...rest };
      },
    },
  });
}
