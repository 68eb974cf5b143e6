// Usage over time from the ledger (model_usage): per hour or UTC day, per model or project, for charts.
import type { Queryable } from "../../db/pool.ts";
import { usageGroupOf, type UsageGroup, type UsageGroupRow } from "./usage.ts";

/** The width of a bucket. */
export type UsageBucket = "hour" | "day";
/** What each bucket's groups are. */
export type UsageSeriesBy = "model" | "project";

/** One bucket: its UTC start and its groups (none when nothing was spent), ordered by key. */
export interface UsageSeriesBucket {
  start: string;
  groups: UsageGroup[];
}

/** The width of each kind of bucket in milliseconds. */
export const USAGE_BUCKET_MS: Record<UsageBucket, number> = { hour: 3_600_000, day: 86_400_000 };

// Fixed SQL per grouping: the column is never built from caller input.
const KEY_SQL: Record<UsageSeriesBy, string> = { model: "provider || ':' || model", project: "project_id" };

/** The start of the bucket holding `t` (UTC: every day is 24 hours, so bucket starts are multiples of its width). */
export function bucketStart(t: Date, bucket: UsageBucket): Date {
  return new Date(Math.floor(t.getTime() / USAGE_BUCKET_MS[bucket]) * USAGE_BUCKET_MS[bucket]);
}

/**
 * A workspace's usage in [since, until) as consecutive buckets from the one holding `since`, every bucket
 * present (empty ones too, so a chart's time axis has no holes), each with its groups by model or project.
 */
export async function usageSeries(
  db: Queryable,
  workspaceId: string,
  opts: { bucket: UsageBucket; by: UsageSeriesBy; since: Date; until: Date },
): Promise<UsageSeriesBucket[]> {
  const key = KEY_SQL[opts.by];
  if (!key) throw new TypeError(`cannot group usage by ${JSON.stringify(opts.by)}`);
  const { rows } = await db.query<UsageGroupRow & { start: Date }>(
    `select date_trunc($4, created_at, 'UTC') as start, ${key} as key, count(*)::int as calls,
       sum(input_tokens)::text as input, sum(output_tokens)::text as output, sum(cached_tokens)::text as cached,
       sum(cost_usd)::text as cost, count(*) filter (where not priced)::int as unpriced
     from model_usage
     where workspace_id = $1 and created_at >= $2 and created_at < $3
     group by 1, 2 order by 1, 2 nulls last`,
    [workspaceId, opts.since, opts.until, opts.bucket],
  );
  const buckets = new Map<number, UsageSeriesBucket>();
  for (let t = bucketStart(opts.since, opts.bucket).getTime(); t < opts.until.getTime(); t += USAGE_BUCKET_MS[opts.bucket]) {
    buckets.set(t, { start: new Date(t).toISOString(), groups: [] });
  }
  for (const r of rows) {
    buckets.get(r.start.getTime())?.groups.push(usageGroupOf(r));
  }
  return [...buckets.values()];
}
