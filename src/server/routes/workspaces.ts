import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { createWorkspace, type AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, WorkspaceCreatedSchema, WorkspaceCreateSchema } from "../schemas.ts";

/** /workspaces: tenants, created by the admin token. */
export function workspaceRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/workspaces",
      summary: "Create a workspace and its first token (admin only)",
      request: { body: { required: true, content: { "application/json": { schema: WorkspaceCreateSchema } } } },
      responses: {
        201: { description: "Created", content: { "application/json": { schema: WorkspaceCreatedSchema } } },
        ...errorResponses(400, 401, 403, 409),
      },
    }),
    async (c) => {
      return c.json(await createWorkspace(deps.pool, c.req.valid("json").name), 201);
    },
  );
}
