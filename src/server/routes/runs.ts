import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { notFound } from "../../domain/errors.ts";
import { KINDS } from "../../engine/kinds.ts";
import { createRun, getRun, listRuns, rerun } from "../../runs/service.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { CreateRunSchema, errorResponses, IdParam, jsonContent, RunSchema, RunStatusSchema, RunSummarySchema } from "../schemas.ts";


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
      summary: "List runs, newest first",
      request: {
        query: z.object({
          status: RunStatusSchema.optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          before: z.string().max(100).optional().openapi({ description: "Return runs older than this run id" }),
        }),
      },
      responses: { 200: jsonContent(z.object({ runs: z.array(RunSummarySchema) }), "Runs"), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      return c.json({ runs: await listRuns(deps.pool, c.get("principal").workspaceId, q) }, 200);
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
