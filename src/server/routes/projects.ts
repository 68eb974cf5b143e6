import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { createProjectFromInput } from "../../projects/service.ts";
import { getProject, listProjects } from "../../projects/store.ts";
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
    template: z.string().nullable(),
    managedRepo: z.boolean(),
    agentNetwork: z.boolean(),
    buildAgent: z.enum(["builtin", "claude-code"]),
    createdAt: z.string(),
  })
  .openapi("Project");

export const TemplateSchema = z.object({ name: z.string(), title: z.string(), description: z.string() }).openapi("Template");


/** /projects: git repositories jobs work on; credentials are write-only. /templates: what projects start from. */
export function projectRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/templates",
      summary: "The templates a project can be created from",
      responses: { 200: jsonContent(z.object({ templates: z.array(TemplateSchema) }), "Templates"), ...errorResponses(401) },
    }),
    (c) => c.json({ templates: deps.templates?.catalogue.list() ?? [] }, 200),
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/projects",
      summary: "Register a project on a repository, or create one from a template (credentials are stored encrypted and never returned)",
      request: { body: { required: true, content: { "application/json": { schema: ProjectInput } } } },
      responses: { 201: jsonContent(ProjectSchema, "The project"), ...errorResponses(400, 401, 409, 422) },
    }),
    async (c) => {
      const { pool, secrets, outbound, templates } = deps;
      return c.json(await createProjectFromInput({ pool, secrets, outbound, templates }, c.get("principal").workspaceId, c.req.valid("json")), 201);
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
