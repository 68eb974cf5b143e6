import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ShipyardError } from "../../domain/errors.ts";
import { DeploymentInput, DeploymentView, GeneratorView } from "../../deployments/schemas.ts";
import { cancelDeployment, deploymentFile, deploymentFiles, detectProjectApp, generatorCatalogue, getDeployment, listDeployments, startDeployment } from "../../deployments/service.ts";
import type { GeneratorName } from "../../deployments/generators/index.ts";
import { checkGivenConfig, fieldProblems, invalidConfig } from "../../deployments/validate.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, IdParam, jsonContent } from "../schemas.ts";

const DeploymentSchema = z.object(DeploymentView.shape).openapi("Deployment");
const Limit = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
const FileSchema = z.object({ path: z.string(), content: z.string() }).openapi("DeploymentFile");
const DetectedSchema = z.object({ app: z.record(z.string(), z.unknown()), source: z.enum(["template", "project"]) }).openapi("DetectedApp");

/**
 * The request's own validation, where a wrong target is a 422 naming its fields (with the config's problems, as
 * the service names them) rather than a malformed request's 400: the target is typed in the schema so that the
 * OpenAPI document shows it.
 */
function deploymentRequestHook(result: { success: true } | { success: false; error: z.ZodError; data?: unknown }): undefined {
  if (result.success) return undefined;
  const issues = result.error.issues;
  if (issues.every((i) => i.path[0] === "target")) {
    // Only the target is wrong, so the generator and the config's shape passed (the validator hands the body over as `data`).
    const body = result.data as { generator: GeneratorName; config?: Record<string, unknown> } | undefined;
    throw invalidConfig([...(body ? checkGivenConfig(body.generator, body.config ?? {}) : []), ...fieldProblems("", issues)]);
  }
  const errors = issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  throw new ShipyardError("invalid_request", `${errors[0]?.path || "body"}: ${errors[0]?.message ?? "invalid request"}`, 400, errors);
}

/** /projects/{id}/deployments, /deployments and /generators: deployment files generated, committed or executed. */
export function deploymentRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/generators",
      summary: "The deployment generators, each with the JSON Schema of its config and the target kind it executes against",
      responses: { 200: jsonContent(z.object({ generators: z.array(GeneratorView) }), "Generators"), ...errorResponses(401) },
    }),
    (c) => c.json({ generators: generatorCatalogue() }, 200),
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/projects/{id}/deployments",
      summary: "Generate a project's deployment files and commit them (mode generate), or run them against a target (mode execute)",
      request: { params: IdParam, body: { required: true, content: { "application/json": { schema: DeploymentInput } } } },
      responses: { 202: jsonContent(DeploymentSchema, "The deployment, started"), ...errorResponses(400, 401, 403, 404, 422) },
    }),
    async (c) => c.json(await startDeployment(deps, c.get("principal").workspaceId, c.req.valid("param").id, c.req.valid("json")), 202),
    deploymentRequestHook,
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{id}/deployments/detect",
      summary: "The app description a deployment of the project starts from (a studio project's template; else its name), to prefill a form",
      request: { params: IdParam },
      responses: { 200: jsonContent(DetectedSchema, "The detected app description"), ...errorResponses(401, 404) },
    }),
    async (c) => c.json(await detectProjectApp(deps.pool, deps.templates?.catalogue, c.get("principal").workspaceId, c.req.valid("param").id), 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{id}/deployments",
      summary: "A project's deployments, newest first",
      request: { params: IdParam, query: Limit },
      responses: { 200: jsonContent(z.object({ deployments: z.array(DeploymentSchema) }), "Deployments"), ...errorResponses(401, 404) },
    }),
    async (c) => c.json({ deployments: await listDeployments(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id, c.req.valid("query").limit) }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/deployments",
      summary: "The workspace's deployments, newest first",
      request: { query: Limit },
      responses: { 200: jsonContent(z.object({ deployments: z.array(DeploymentSchema) }), "Deployments"), ...errorResponses(401) },
    }),
    async (c) => c.json({ deployments: await listDeployments(deps.pool, c.get("principal").workspaceId, null, c.req.valid("query").limit) }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/deployments/{id}",
      summary: "One deployment: its progress (currentStep, stepsTotal, stepsCurrent, message), status, commit, pull request and URL",
      request: { params: IdParam },
      responses: { 200: jsonContent(DeploymentSchema, "The deployment"), ...errorResponses(401, 404) },
    }),
    async (c) => c.json(await getDeployment(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id), 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/deployments/{id}/files",
      summary: "The files a deployment generated, with their content; ?path= for one",
      request: { params: IdParam, query: z.object({ path: z.string().min(1).max(1000).optional() }) },
      responses: { 200: jsonContent(z.object({ files: z.array(FileSchema) }), "Files"), ...errorResponses(401, 404) },
    }),
    async (c) => {
      const { workspaceId } = c.get("principal");
      const { id } = c.req.valid("param");
      const one = c.req.valid("query").path;
      return c.json({ files: one ? [await deploymentFile(deps.pool, workspaceId, id, one)] : await deploymentFiles(deps.pool, workspaceId, id) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/deployments/{id}/cancel",
      summary: "Cancel a deployment (a running tool is killed)",
      request: { params: IdParam },
      responses: { 200: jsonContent(DeploymentSchema, "The deployment"), ...errorResponses(401, 404, 409) },
    }),
    async (c) => c.json(await cancelDeployment(deps, c.get("principal").workspaceId, c.req.valid("param").id), 200),
  );
}
