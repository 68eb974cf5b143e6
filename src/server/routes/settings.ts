import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { updateWorkspaceSettings, workspaceSettings } from "../../workspaces/store.ts";
import { ModelSpec } from "../../models/model-spec.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, jsonContent } from "../schemas.ts";

export const SettingsSchema = z
  .object({
    defaultModel: z.string().nullable().openapi({ description: "provider:model used by llm and agent steps and agent jobs that name none" }),
    stepNetwork: z.boolean().openapi({ description: "steps that do not say `network:` get network in their sandbox (default false)" }),
  })
  .openapi("Settings");

const SetSettingsSchema = z
  .object({ defaultModel: ModelSpec.nullable().optional(), stepNetwork: z.boolean().optional() })
  .strict()
  .refine((s) => s.defaultModel !== undefined || s.stepNetwork !== undefined, "give defaultModel, stepNetwork or both")
  .openapi("SetSettings");

/** /settings: the workspace's own settings (its default model, whether steps get network by default). */
export function settingsRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({ method: "get", path: "/settings", summary: "The workspace's settings", responses: { 200: jsonContent(SettingsSchema, "Settings"), ...errorResponses(401) } }),
    async (c) => c.json(await workspaceSettings(deps.pool, c.get("principal").workspaceId), 200),
  );
  app.openapi(
    createRoute({
      method: "put",
      path: "/settings",
      summary: "Change the workspace's settings (only those given); `defaultModel: null` removes the default",
      request: { body: { required: true, content: { "application/json": { schema: SetSettingsSchema } } } },
      responses: { 200: jsonContent(SettingsSchema, "Settings"), ...errorResponses(400, 401) },
    }),
    async (c) => c.json(await updateWorkspaceSettings(deps.pool, c.get("principal").workspaceId, c.req.valid("json")), 200),
  );
}
