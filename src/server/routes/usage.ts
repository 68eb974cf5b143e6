import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { usageSummary } from "../../agents/llm/index.ts";
import { ShipyardError } from "../../domain/errors.ts";
import { setOperationBudget, setWorkspaceBudget, workspaceBudgets } from "../../models/budgets.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, IdParam, jsonContent } from "../schemas.ts";

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
