import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { parseSpec } from "../../agents/llm/index.ts";
import { setWorkspaceDefaultModel, workspaceDefaultModel } from "../../jobs/projects.ts";
import { ModelSpec } from "../../jobs/schemas.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, jsonContent } from "../schemas.ts";

export const SettingsSchema = z
  .object({
    defaultModel: z.string().nullable().openapi({ description: "provider:model used by llm and agent steps and agent jobs that name none" }),
  })
  .openapi("Settings");

const SetSettingsSchema = z.object({ defaultModel: ModelSpec.nullable() }).strict().openapi("SetSettings");

/** /settings: the workspace's own settings (its default model). */
export function settingsRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({ method: "get", path: "/settings", summary: "The workspace's settings", responses: { 200: jsonContent(SettingsSchema, "Settings"), ...errorResponses(401) } }),
    async (c) => c.json({ defaultModel: await workspaceDefaultModel(deps.pool, c.get("principal").workspaceId) }, 200),
  );
  app.openapi(
    createRoute({
      method: "put",
      path: "/settings",
      summary: "Change the workspace's settings; `defaultModel: null` removes the default",
      request: { body: { required: true, content: { "application/json": { schema: SetSettingsSchema } } } },
      responses: { 200: jsonContent(SettingsSchema, "Settings"), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const { defaultModel } = c.req.valid("json");
      if (defaultModel !== null) parseSpec(defaultModel); // an unknown provider is a 400 naming the known ones
      const workspaceId = c.get("principal").workspaceId;
      await setWorkspaceDefaultModel(deps.pool, workspaceId, defaultModel);
      return c.json({ defaultModel }, 200);
    },
  );
}
