import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { assertProjectUrls } from "../../projects/urls.ts";
import { createProject, getProject, listProjects } from "../../projects/store.ts";
import { ProjectInput } from "../../jobs/schemas.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, IdParam, jsonContent } from "../schemas.ts";

export const ProjectSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    repo: z.string(),
    defaultBranch: z.string(),
    verify: z.array(z.string()),
    onVerifyFailure: z.enum(["fail", "rework"]),
    maxAttempts: z.number().int(),
    github: z.object({ owner: z.string(), repo: z.string(), apiUrl: z.string().optional() }).nullable(),
    hasCredentials: z.boolean(),
    defaultModel: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Project");


/** /projects: git repositories jobs work on; credentials are write-only. */
export function projectRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/projects",
      summary: "Register a project (credentials are stored encrypted and never returned)",
      request: { body: { required: true, content: { "application/json": { schema: ProjectInput } } } },
      responses: { 201: jsonContent(ProjectSchema, "The project"), ...errorResponses(400, 401, 409, 422) },
    }),
    async (c) => {
      const input = c.req.valid("json");
      await assertProjectUrls(input, deps.outbound);
      return c.json(await createProject(deps.pool, deps.secrets, c.get("principal").workspaceId, input), 201);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/projects",
      summary: "Projects of this workspace",
      responses: { 200: jsonContent(z.object({ projects: z.array(ProjectSchema) }), "Projects"), ...errorResponses(401) },
    }),
    async (c) => c.json({ projects: await listProjects(deps.pool, c.get("principal").workspaceId) }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{id}",
      summary: "One project",
      request: { params: IdParam },
      responses: { 200: jsonContent(ProjectSchema, "The project"), ...errorResponses(401, 404) },
    }),
    async (c) => {
      const { credentialsSecret: _secret, ...view } = await getProject(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id);
      return c.json(view, 200);
    },
  );
}
