// The usage ledger (table model_usage, migration 004), its summaries, and the Prometheus counters.
import { Counter, type Registry } from "prom-client";
import type { Queryable } from "../../db/pool.ts";
import { costOf, DEFAULT_PRICES, priceOf, type PriceTable } from "./prices.ts";

/** One model call to record. `inputTokens` includes `cachedTokens`. */
export interface UsageRecord {
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedTokens?: number;
  latencyMs: number;
  /** `agent`: a coding agent's whole run, reported by the agent itself (Claude Code). */
  callKind?: "generate" | "stream" | "agent";
  workspaceId?: string | null;
  operationId?: string | null;
  projectId?: string | null;
  /** The task (one attempt of a step) that made the call. */
  taskId?: string | null;
  /** The cost the provider or agent reported; when absent it comes from the price table. */
  costUsd?: number;
  /** Records with the same key are stored once (a re-executed workflow step reporting the same run). */
  dedupeKey?: string;
}

/** A recorded call: the record plus its id, cost and whether the model's price was known. */
export interface StoredUsage extends UsageRecord {
  id: number;
  costUsd: number;
  priced: boolean;
}

/** The LLM counters on one registry. */
export interface LlmMetrics {
  tokens: Counter<"provider" | "model" | "kind">;
  costUsd: Counter<"provider" | "model">;
}

/** The counters `shipyard_llm_tokens_total` and `shipyard_llm_cost_usd_total` on `registry` (created once). */
export function llmMetrics(registry: Registry): LlmMetrics {
  const existing = registry.getSingleMetric("shipyard_llm_tokens_total");
  const tokens =
    (existing as Counter<"provider" | "model" | "kind"> | undefined) ??
    new Counter({
      name: "shipyard_llm_tokens_total",
      help: "Model tokens by provider, model and kind (input includes cached)",
      labelNames: ["provider", "model", "kind"],
      registers: [registry],
    });
  const costUsd =
    (registry.getSingleMetric("shipyard_llm_cost_usd_total") as Counter<"provider" | "model"> | undefined) ??
    new Counter({
      name: "shipyard_llm_cost_usd_total",
      help: "Model cost in USD by provider and model (unpriced models count 0)",
      labelNames: ["provider", "model"],
      registers: [registry],
    });
  return { tokens, costUsd };
}

/** Where recordUsage takes prices from and which counters it bumps. */
export interface RecordOptions {
  prices?: PriceTable;
  metrics?: LlmMetrics;
}

/** Store one call with its cost from the price table (0 and `priced: false` for an unknown model). */
export async function recordUsage(db: Queryable, record: UsageRecord, opts: RecordOptions = {}): Promise<StoredUsage> {
  const cachedTokens = record.cachedTokens ?? 0;
  const tokens = { input: record.inputTokens, output: record.outputTokens, cached: cachedTokens };
  const fromTable = costOf(priceOf(opts.prices ?? DEFAULT_PRICES, record.provider, record.model), tokens);
  const { costUsd, priced } = record.costUsd !== undefined ? { costUsd: record.costUsd, priced: true } : fromTable;
  const { rows } = await db.query<{ id: number }>(
    `insert into model_usage (workspace_id, operation_id, project_id, provider, model, call_kind,
       input_tokens, output_tokens, cached_tokens, cost_usd, priced, latency_ms, task_id, dedupe_key)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     on conflict (dedupe_key) where dedupe_key is not null do nothing returning id`,
    [
      record.workspaceId ?? null,
      record.operationId ?? null,
      record.projectId ?? null,
      record.provider,
      record.model,
      record.callKind ?? "generate",
      record.inputTokens,
      record.outputTokens,
      cachedTokens,
      costUsd,
      priced,
      Math.max(0, Math.round(record.latencyMs)),
      record.taskId ?? null,
      record.dedupeKey ?? null,
    ],
  );
  // Already recorded under this dedupe key: counted once, so the counters are not bumped again.
  if (rows.length === 0) return { ...record, cachedTokens, id: 0, costUsd, priced };
  if (opts.metrics) {
    const labels = { provider: record.provider, model: record.model };
    opts.metrics.tokens.inc({ ...labels, kind: "input" }, record.inputTokens);
    opts.metrics.tokens.inc({ ...labels, kind: "output" }, record.outputTokens);
    opts.metrics.tokens.inc({ ...labels, kind: "cached" }, cachedTokens);
    opts.metrics.costUsd.inc(labels, costUsd);
  }
  return { ...record, cachedTokens, id: rows[0]?.id ?? 0, costUsd, priced };
}

/** What a summary groups by; `day` is the UTC date `YYYY-MM-DD`. */
export type UsageGroupBy = "model" | "provider" | "operation" | "project" | "day";

/** One group of a summary. */
export interface UsageGroup {
  key: string | null;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
  /** Calls whose model had no price: their cost is missing from `costUsd`. */
  unpricedCalls: number;
}

// Fixed SQL per grouping: the column is never built from caller input.
const GROUP_SQL: Record<UsageGroupBy, string> = {
  model: "provider || ':' || model",
  provider: "provider",
  operation: "operation_id",
  project: "project_id",
  day: "to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')",
};

/** A workspace's usage (null: calls outside any workspace) grouped by `groupBy`, in [from, to), ordered by key. */
export async function usageSummary(
  db: Queryable,
  workspaceId: string | null,
  opts: { groupBy: UsageGroupBy; from?: Date; to?: Date },
): Promise<UsageGroup[]> {
  const group = GROUP_SQL[opts.groupBy];
  if (!group) throw new TypeError(`cannot group usage by ${JSON.stringify(opts.groupBy)}`);
  const { rows } = await db.query<UsageGroupRow>(
    `select ${group} as key, count(*)::int as calls, sum(input_tokens)::text as input, sum(output_tokens)::text as output,
       sum(cached_tokens)::text as cached, sum(cost_usd)::text as cost, count(*) filter (where not priced)::int as unpriced
     from model_usage
     where workspace_id is not distinct from $1
       and ($2::timestamptz is null or created_at >= $2) and ($3::timestamptz is null or created_at < $3)
     group by 1 order by 1 nulls last`,
    [workspaceId, opts.from ?? null, opts.to ?? null],
  );
  return rows.map(usageGroupOf);
}

/** A group's sums as the SQL of the usage queries returns them (bigint and numeric sums as text). */
export interface UsageGroupRow {
  key: string | null;
  calls: number;
  input: string;
  output: string;
  cached: string;
  cost: string;
  unpriced: number;
}

/** The view of one group's sums. */
export function usageGroupOf(r: UsageGroupRow): UsageGroup {
  return {
    key: r.key,
    calls: r.calls,
    inputTokens: Number(r.input),
    outputTokens: Number(r.output),
    cachedTokens: Number(r.cached),
    costUsd: Number(r.cost),
    unpricedCalls: r.unpriced,
  };
}
