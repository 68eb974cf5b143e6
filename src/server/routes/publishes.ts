import { promises as fs } from "node:fs";
import path from "node:path";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ShipyardError } from "../../domain/errors.ts";
import { PublishInput, PublishView } from "../../publishes/schemas.ts";
import { getPublish, listPublishes, publishScreenshot, startPublish } from "../../publishes/service.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, IdParam, jsonContent } from "../schemas.ts";

const PublishSchema = z.object(PublishView.shape).openapi("Publish");

/** /projects/{id}/publish and /publishes: moving what staging shows to production, verified first. Cancel is POST /operations/{id}/cancel. */
export function publishRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/projects/{id}/publish",
      summary: "Publish the version one environment shows to another (staging → production): validate, deploy, verify in Chromium, then promote",
      request: { params: IdParam, body: { required: false, content: { "application/json": { schema: PublishInput } } } },
      responses: { 202: jsonContent(PublishSchema, "The publish, started"), ...errorResponses(400, 401, 404, 409) },
    }),
    async (c) => {
      const publish = await startPublish(deps, c.get("principal").workspaceId, c.req.valid("param").id, PublishInput.parse(c.req.valid("json") ?? {}));
      return c.json(publish, 202);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{id}/publishes",
      summary: "A project's publishes, newest first",
      request: { params: IdParam, query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }) },
      responses: { 200: jsonContent(z.object({ publishes: z.array(PublishSchema) }), "Publishes"), ...errorResponses(401, 404) },
    }),
    async (c) => c.json({ publishes: await listPublishes(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id, c.req.valid("query").limit) }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/publishes/{id}",
      summary: "One publish: its phase, version and where it is live",
      request: { params: IdParam },
      responses: { 200: jsonContent(PublishSchema, "The publish"), ...errorResponses(401, 404) },
    }),
    async (c) => c.json(await getPublish(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id), 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/publishes/{id}/screenshot",
      summary: "The screenshot of the page the publish's verification loaded (PNG)",
      request: { params: IdParam },
      responses: { 200: { description: "PNG image", content: { "image/png": { schema: z.string().openapi({ format: "binary" }) } } }, ...errorResponses(401, 404) },
    }),
    async (c) => {
      const file = await publishScreenshot(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id);
      if (!deps.previews) throw new ShipyardError("unavailable", "this server keeps no preview files", 503);
      const bytes = await fs.readFile(path.join(deps.previews.dataDir, file));
      return c.body(bytes, 200, { "content-type": "image/png", "cache-control": "private, max-age=3600" });
    },
  );
}
