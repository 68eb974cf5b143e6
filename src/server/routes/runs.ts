import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { notFound, ShipyardError } from "../../domain/errors.ts";
import { KINDS } from "../../engine/kinds.ts";
import { createRun, getRun, listRuns, rerun } from "../../runs/service.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { CreateRunSchema, errorResponses, IdParam, InstantQuery, jsonContent, RunSchema, RunStatusSchema, RunSummarySchema } from "../schemas.ts";

// `status=running,pending` or `status=running&status=pending`: either way a list of statuses.
const Statuses = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")).filter((s) => s !== ""))
  .pipe(z.array(RunStatusSchema).max(RunStatusSchema.options.length))
  .openapi({ type: "string", description: "Any of these statuses, comma-separated or repeated", example: "running,pending" });

/** The filters and page of GET /runs. */
export const RunListQuery = z.object({
  status: Statuses.optional(),
  workflow: z.string().min(1).max(200).optional().openapi({ description: "The workflow's name; ending in `*`, a prefix of it", example: "deploy*" }),
  since: InstantQuery.optional().openapi({ description: "Created at or after (ISO 8601)" }),
  until: InstantQuery.optional().openapi({ description: "Created before (ISO 8601)" }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().max(100).optional().openapi({ description: "Return runs older than this run id (a page's `nextCursor`)" }),
});

/** A page of GET /runs. */
export const RunListSchema = z
  .object({
    runs: z.array(RunSummarySchema),
    nextCursor: z.string().nullable().openapi({ description: "Pass as `before` for the next page; null on the last one" }),
  })
  .openapi("RunList");

/** /runs: start, list, show, cancel and re-run workflow runs. */
export function runRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/runs",
      summary: "Start a run of a workflow document",
      request: { body: { required: true, content: { "application/json": { schema: CreateRunSchema } } } },
      responses: { 201: jsonContent(RunSchema, "The run, pending"), ...errorResponses(400, 401, 413, 422) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const run = await createRun(deps, { workspaceId: c.get("principal").workspaceId, source: body.workflow, inputs: body.inputs, file: body.file, secrets: deps.secrets, startedBy: c.get("principal") });
      return c.json(run, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/runs",
      summary: "List runs, newest first, filtered by status, workflow name and creation time, a page at a time",
      request: { query: RunListQuery },
      responses: { 200: jsonContent(RunListSchema, "A page of runs"), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const { status, workflow, ...q } = c.req.valid("query");
      if (q.since && q.until && q.since > q.until) throw new ShipyardError("invalid_request", "since: must not be after until", 400);
      const named = workflow === undefined ? undefined : workflow.endsWith("*") ? { name: workflow.slice(0, -1), prefix: true } : { name: workflow, prefix: false };
      return c.json(await listRuns(deps.pool, c.get("principal").workspaceId, { ...q, statuses: status, workflow: named }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/runs/{id}",
      summary: "A run with its steps, outputs and error",
      request: { params: IdParam },
      responses: { 200: jsonContent(RunSchema, "The run"), ...errorResponses(401, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const run = await getRun(deps.pool, c.get("principal").workspaceId, id);
      if (!run) throw notFound("run", id);
      return c.json(run, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/runs/{id}/cancel",
      summary: "Cancel a run: kill its running steps, run teardown, end cancelled",
      request: { params: IdParam },
      responses: { 202: jsonContent(RunSchema, "Cancellation accepted"), ...errorResponses(401, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(await KINDS.workflow.cancel(deps, c.get("principal").workspaceId, id), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/runs/{id}/rerun",
      summary: "Start a new run of the same workflow with the same inputs",
      request: { params: IdParam },
      responses: { 201: jsonContent(RunSchema, "The new run"), ...errorResponses(401, 404, 422) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(await rerun(deps, c.get("principal").workspaceId, id, deps.secrets, c.get("principal")), 201);
    },
  );
}
