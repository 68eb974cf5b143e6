import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { USAGE_BUCKET_MS as BUCKET_MS, usageSeries, usageSummary } from "../../agents/llm/index.ts";
import { ShipyardError } from "../../domain/errors.ts";
import { setOperationBudget, setWorkspaceBudget, workspaceBudgets } from "../../models/budgets.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, IdParam, InstantQuery, jsonContent } from "../schemas.ts";

const GROUP_BY = ["model", "provider", "operation", "project", "day"] as const;

/** An instant (`2025-06-01T00:00:00Z`, with an offset) or a UTC date (`2025-06-01`, its midnight). */
const Instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

export const UsageGroupSchema = z
  .object({
    key: z.string().nullable().openapi({ description: "`provider:model`, provider, operation id, project id or UTC date" }),
    calls: z.number().int(),
    inputTokens: z.number().int().openapi({ description: "Includes cached input tokens" }),
    outputTokens: z.number().int(),
    cachedTokens: z.number().int(),
    costUsd: z.number(),
    unpricedCalls: z.number().int().openapi({ description: "Calls of models without a price: their cost is missing from costUsd" }),
  })
  .openapi("UsageGroup");

export const UsageSchema = z
  .object({
    groupBy: z.enum(GROUP_BY),
    from: z.string().nullable(),
    to: z.string().nullable(),
    groups: z.array(UsageGroupSchema),
  })
  .openapi("Usage");

/** Most buckets one series answers (hour buckets: about six weeks). */
const MAX_BUCKETS = 1000;
/** The range a series covers when `since` is not given. */
const DEFAULT_SPAN = { hour: 24, day: 30 } as const;

export const UsageSeriesSchema = z
  .object({
    bucket: z.enum(["hour", "day"]),
    by: z.enum(["model", "project"]),
    since: z.string().openapi({ description: "Start of the first bucket (UTC)" }),
    until: z.string(),
    keys: z.array(z.string().nullable()).openapi({ description: "Every key with usage in the range, costliest first (one series each)" }),
    buckets: z.array(z.object({ start: z.string(), groups: z.array(UsageGroupSchema) })).openapi({ description: "Every bucket of the range in order, empty ones too" }),
  })
  .openapi("UsageSeries");

export const BudgetsSchema = z
  .object({
    workspaceDailyUsd: z.number().nullable().openapi({ description: "The workspace's daily (UTC) limit on model spend; null: none" }),
    spentTodayUsd: z.number().openapi({ description: "Model spend of this workspace since the start of the UTC day" }),
  })
  .openapi("Budgets");

export const SetBudgetsSchema = z
  .object({
    workspaceDailyUsd: z.number().min(0).max(1_000_000).nullable().openapi({ description: "USD per UTC day; null removes the limit" }),
  })
  .strict()
  .openapi("SetBudgets");

export const OperationBudgetSchema = z
  .object({
    operationId: z.string(),
    limitUsd: z.number().nullable().openapi({ description: "The operation's limit on model spend; null: none" }),
    spentUsd: z.number().openapi({ description: "Model spend of this operation so far" }),
  })
  .openapi("OperationBudget");

const SetOperationBudgetSchema = z
  .object({ limitUsd: z.number().min(0).max(1_000_000).nullable().openapi({ description: "USD for the whole run or job; null removes the limit" }) })
  .strict()
  .openapi("SetOperationBudget");

/** /usage and /budgets: the workspace's model spend (from the usage ledger), its daily limit and per-operation limits. */
export function usageRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/usage",
      summary: "Model usage of this workspace (tokens, cost, calls) grouped by model, provider, operation, project or UTC day",
      request: {
        query: z.object({
          groupBy: z.enum(GROUP_BY).default("model"),
          from: Instant.optional().openapi({ description: "Inclusive start (ISO 8601)" }),
          to: Instant.optional().openapi({ description: "Exclusive end (ISO 8601)" }),
        }),
      },
      responses: { 200: jsonContent(UsageSchema, "Usage groups, ordered by key"), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const from = q.from === undefined ? undefined : new Date(q.from);
      const to = q.to === undefined ? undefined : new Date(q.to);
      if (from && to && from > to) throw new ShipyardError("invalid_request", "from: must not be after to", 400);
      const groups = await usageSummary(deps.pool, c.get("principal").workspaceId, { groupBy: q.groupBy, from, to });
      return c.json({ groupBy: q.groupBy, from: from?.toISOString() ?? null, to: to?.toISOString() ?? null, groups }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/usage/series",
      summary: "Model usage over time: tokens and cost per hour or UTC day, per model or project",
      request: {
        query: z.object({
          bucket: z.enum(["hour", "day"]).default("day"),
          by: z.enum(["model", "project"]).default("model"),
          since: InstantQuery.optional().openapi({ description: "Inclusive start (ISO 8601); default 24 hours (hour) or 30 days (day) before until" }),
          until: InstantQuery.optional().openapi({ description: "Exclusive end (ISO 8601); default now" }),
        }),
      },
      responses: { 200: jsonContent(UsageSeriesSchema, "The series"), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const until = q.until ?? new Date();
      const since = q.since ?? new Date(until.getTime() - DEFAULT_SPAN[q.bucket] * BUCKET_MS[q.bucket]);
      if (since >= until) throw new ShipyardError("invalid_request", "since: must be before until", 400);
      if ((until.getTime() - since.getTime()) / BUCKET_MS[q.bucket] > MAX_BUCKETS) throw new ShipyardError("invalid_request", `since: at most ${MAX_BUCKETS} ${q.bucket} buckets per series; use a shorter range or bucket=day`, 400);
      const buckets = await usageSeries(deps.pool, c.get("principal").workspaceId, { bucket: q.bucket, by: q.by, since, until });
      // Costliest first, then (unpriced models cost 0) by tokens: the chart stacks the biggest series at the bottom.
      const totals = new Map<string | null, { cost: number; tokens: number }>();
      for (const b of buckets) {
        for (const g of b.groups) {
          const t = totals.get(g.key) ?? { cost: 0, tokens: 0 };
          totals.set(g.key, { cost: t.cost + g.costUsd, tokens: t.tokens + g.inputTokens + g.outputTokens });
        }
      }
      const keys = [...totals.entries()].sort(([, a], [, b]) => b.cost - a.cost || b.tokens - a.tokens).map(([k]) => k);
      return c.json({ bucket: q.bucket, by: q.by, since: buckets[0]?.start ?? since.toISOString(), until: until.toISOString(), keys, buckets }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/budgets",
      summary: "The workspace's daily model budget and today's spend",
      responses: { 200: jsonContent(BudgetsSchema, "Budgets"), ...errorResponses(401) },
    }),
    async (c) => c.json(await workspaceBudgets(deps.pool, c.get("principal").workspaceId), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/budgets",
      summary: "Set (or with null remove) the workspace's daily model budget in USD",
      request: { body: { required: true, content: { "application/json": { schema: SetBudgetsSchema } } } },
      responses: { 200: jsonContent(BudgetsSchema, "Budgets"), ...errorResponses(400, 401) },
    }),
    async (c) => c.json(await setWorkspaceBudget(deps.pool, c.get("principal").workspaceId, c.req.valid("json").workspaceDailyUsd), 200),
  );
  operationBudgetRoute(deps, app);
}

/** PUT /operations/{id}/budget: a run's or job's own limit on model spend (404 outside the workspace). */
function operationBudgetRoute(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "put",
      path: "/operations/{id}/budget",
      summary: "Set (or with null remove) a run's or job's model budget in USD; its model calls stop before passing it",
      request: { params: IdParam, body: { required: true, content: { "application/json": { schema: SetOperationBudgetSchema } } } },
      responses: { 200: jsonContent(OperationBudgetSchema, "The operation's budget"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => c.json(await setOperationBudget(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id, c.req.valid("json").limitUsd), 200),
  );
}
