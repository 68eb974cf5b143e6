import { promises as fs } from "node:fs";
import path from "node:path";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { buildScreenshot, cancelBuild, getBuild, listBuilds, startBuild } from "../../builds/service.ts";
import { BuildInput, BuildView } from "../../builds/schemas.ts";
import { ShipyardError } from "../../domain/errors.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, IdParam, jsonContent } from "../schemas.ts";

const BuildSchema = z.object(BuildView.shape).openapi("Build");

/** /projects/{id}/builds and /builds: prompt-to-preview builds of a project. */
export function buildRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/projects/{id}/builds",
      summary: "Build a change to a project from a prompt: plan, implement, test, deploy to a new preview version",
      request: { params: IdParam, body: { required: true, content: { "application/json": { schema: BuildInput } } } },
      responses: { 202: jsonContent(BuildSchema.extend({ operationId: z.string() }), "The build, started"), ...errorResponses(400, 401, 404, 409, 413, 422) },
    }),
    async (c) => {
      const build = await startBuild(deps, c.get("principal").workspaceId, c.req.valid("param").id, c.req.valid("json"));
      return c.json(build, 202);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{id}/builds",
      summary: "A project's builds, newest first",
      request: { params: IdParam, query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }) },
      responses: { 200: jsonContent(z.object({ builds: z.array(BuildSchema) }), "Builds"), ...errorResponses(401, 404) },
    }),
    async (c) => c.json({ builds: await listBuilds(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id, c.req.valid("query").limit) }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/builds/{id}",
      summary: "One build: its phase, plan, commit and preview",
      request: { params: IdParam },
      responses: { 200: jsonContent(BuildSchema, "The build"), ...errorResponses(401, 404) },
    }),
    async (c) => c.json(await getBuild(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id), 200),
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/builds/{id}/cancel",
      summary: "Cancel a build (its running stage is stopped, its workspace cleaned)",
      request: { params: IdParam },
      responses: { 200: jsonContent(BuildSchema, "The build"), ...errorResponses(401, 404, 409) },
    }),
    async (c) => c.json(await cancelBuild(deps, c.get("principal").workspaceId, c.req.valid("param").id), 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/builds/{id}/screenshot",
      summary: "The screenshot of the page the build's last preview check loaded (PNG)",
      request: { params: IdParam },
      responses: { 200: { description: "PNG image", content: { "image/png": { schema: z.string().openapi({ format: "binary" }) } } }, ...errorResponses(401, 404) },
    }),
    async (c) => {
      const file = await buildScreenshot(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id);
      if (!deps.previews) throw new ShipyardError("unavailable", "this server keeps no build files", 503);
      const bytes = await fs.readFile(path.join(deps.previews.dataDir, file));
      return c.body(bytes, 200, { "content-type": "image/png", "cache-control": "private, max-age=3600" });
    },
  );
}
