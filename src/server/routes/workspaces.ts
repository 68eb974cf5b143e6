import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { listWorkspaces } from "../../workspaces/store.ts";
import { createWorkspace, type AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, WorkspaceCreatedSchema, WorkspaceCreateSchema } from "../schemas.ts";

const WorkspaceSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string() }).openapi("Workspace");

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

  app.openapi(
    createRoute({
      method: "get",
      path: "/workspaces",
      summary: "Every workspace of the installation (admin only)",
      responses: {
        200: { description: "The workspaces, oldest first", content: { "application/json": { schema: z.object({ workspaces: z.array(WorkspaceSchema) }) } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => c.json({ workspaces: await listWorkspaces(deps.pool) }, 200),
  );
}
