import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { chooseDeployTarget, listPreviews, promoteVersion } from "../../previews/service.ts";
import { DEPLOY_TARGETS } from "../../projects/store.ts";
import { ENVIRONMENTS } from "../../previews/store.ts";
import type { PreviewUrls } from "../../previews/urls.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, IdParam, jsonContent } from "../schemas.ts";

const EnvironmentSchema = z
  .object({
    environment: z.enum(ENVIRONMENTS),
    version: z.number().int().nullable().openapi({ description: "The version it shows; null before one was promoted to it" }),
    url: z.string().openapi({ description: "Its stable URL on the preview host" }),
    updatedAt: z.string().nullable(),
  })
  .openapi("PreviewEnvironment");

const VersionSchema = z
  .object({
    version: z.number().int(),
    commit: z.string().nullable(),
    buildId: z.string().nullable(),
    fileCount: z.number().int(),
    totalBytes: z.number().int(),
    createdAt: z.string(),
    url: z.string().openapi({ description: "This version's own URL (it never changes)" }),
  })
  .openapi("PreviewVersion");

export const PreviewsSchema = z
  .object({
    versions: z.array(VersionSchema).openapi({ description: "Newest first" }),
    environments: z.object({ staging: EnvironmentSchema, production: EnvironmentSchema }),
    deployTarget: z.enum(DEPLOY_TARGETS).openapi({ description: "Where builds go live: the built-in preview host or Cloudflare Pages" }),
  })
  .openapi("Previews");

const VersionParams = IdParam.extend({
  version: z.coerce.number().int().min(1).max(999_999_999).openapi({ param: { name: "version", in: "path" }, example: 3 }),
});

const DeployTargetSchema = z.strictObject({ deployTarget: z.enum(DEPLOY_TARGETS) }).openapi("DeployTarget");

const PromoteSchema = z.strictObject({ environment: z.enum(ENVIRONMENTS).default("staging") }).openapi("Promote");

/** /projects/{id}/previews: a project's published versions and what its environments show. */
export function previewRoutes(deps: ServerDeps & { previews: { urls: PreviewUrls } }, app: OpenAPIHono<AppEnv>): void {
  const previewDeps = { pool: deps.pool, log: deps.log, urls: deps.previews.urls };
  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{id}/previews",
      summary: "A project's preview versions and environments, with their URLs",
      request: { params: IdParam },
      responses: { 200: jsonContent(PreviewsSchema, "Versions and environments"), ...errorResponses(401, 404) },
    }),
    async (c) => {
      const { versions, ...rest } = await listPreviews(previewDeps, { workspaceId: c.get("principal").workspaceId, projectId: c.req.valid("param").id });
      return c.json({ versions: versions.map(({ projectId: _p, ...v }) => v), ...rest }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/projects/{id}/previews/{version}/promote",
      summary: "Point an environment (default staging) at a version: a rollback or forward at once, no rebuild",
      request: { params: VersionParams, body: { required: false, content: { "application/json": { schema: PromoteSchema } } } },
      responses: { 200: jsonContent(EnvironmentSchema, "The environment now"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { id, version } = c.req.valid("param");
      const body = (c.req.header("content-type") ?? "").includes("json") ? c.req.valid("json") : { environment: "staging" as const };
      const view = await promoteVersion(previewDeps, { workspaceId: c.get("principal").workspaceId, projectId: id, version, environment: body.environment });
      return c.json(view, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "put",
      path: "/projects/{id}/deploy-target",
      summary: "Choose where the project's builds go live (builtin, or cloudflare-pages with the workspace's CLOUDFLARE_* secrets)",
      request: { params: IdParam, body: { required: true, content: { "application/json": { schema: DeployTargetSchema } } } },
      responses: { 200: jsonContent(DeployTargetSchema, "The project's deploy target"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { deployTarget } = c.req.valid("json");
      return c.json(await chooseDeployTarget(deps, { workspaceId: c.get("principal").workspaceId, projectId: c.req.valid("param").id, target: deployTarget }), 200);
    },
  );
}
