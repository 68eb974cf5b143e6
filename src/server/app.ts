import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { ShipyardError } from "../domain/errors.ts";
import { requireAuth, type AppEnv } from "./auth.ts";
import { TokenCache } from "./token-cache.ts";
import type { ServerDeps } from "./deps.ts";
import { authorize } from "./policy.ts";
import { errorHandler } from "./problem.ts";
import { wellFormedInput } from "./well-formed-input.ts";
import { operationRoutes } from "./routes/operations.ts";
import { buildRoutes } from "./routes/builds.ts";
import { blueprintRoutes, REFERENCE_UPLOAD_PATH, referenceUploadLimit } from "./routes/blueprints.ts";
import { publishRoutes } from "./routes/publishes.ts";
import { deploymentRoutes } from "./routes/deployments.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { modelCallRoutes } from "./routes/model-calls.ts";
import { settingsRoutes } from "./routes/settings.ts";
import { projectRoutes } from "./routes/projects.ts";
import { runnerRoutes } from "./routes/runners.ts";
import { runRoutes } from "./routes/runs.ts";
import { secretRoutes } from "./routes/secrets.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { usageRoutes } from "./routes/usage.ts";
import { webhookRoutes } from "./routes/webhooks.ts";
import { workflowRoutes } from "./routes/workflows.ts";
import { workspaceRoutes } from "./routes/workspaces.ts";
import { previewRoutes } from "./routes/previews.ts";
import { taskArtifactRoutes } from "./routes/task-artifacts.ts";
import { sessionRoutes, signInRoute } from "./routes/web-session.ts";
import { webUiRoutes } from "./web-ui.ts";

/** Largest request body accepted (a workflow document is far smaller). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Where the authenticated API is mounted. */
const API_BASE = "/api/v1";

/** Build the HTTP app: health, metrics, and the authenticated /api/v1 with its OpenAPI document. */
export function createApp(deps: ServerDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const onError = errorHandler(deps.log);
  app.onError(onError);
  app.notFound((c) => onError(new ShipyardError("not_found", `no route for ${c.req.method} ${c.req.path}`, 404), c));
  app.use(async (c, next) => {
    await next();
    deps.metrics.httpRequests.inc({ method: c.req.method, status: String(c.res.status) });
  });

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/readyz", async (c) => {
    const db = await deps.pool.query("select 1").then(() => true, () => false);
    const ready = db && deps.isReady();
    return c.json({ ready, database: db, engine: deps.isReady() }, ready ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    const text = await deps.metrics.registry.metrics();
    return c.body(text, 200, { "content-type": deps.metrics.registry.contentType });
  });

  const api = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const errors = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
        const first = errors[0];
        throw new ShipyardError("invalid_request", first ? `${first.path || "body"}: ${first.message}` : "invalid request", 400, errors);
      }
    },
  });
  api.onError(onError);
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Shipyard API", version: "1", description: "Durable workflows, runners and live events." },
    security: [{ bearer: [] }],
  });
  const generalLimit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => {
      // The unread rest of the body is drained and the socket then closed under the client's feet, so tell
      // the client not to reuse this connection (otherwise its next request fails with "other side closed").
      c.header("connection", "close");
      throw new ShipyardError("payload_too_large", `request body is larger than ${MAX_BODY_BYTES} bytes`, 413);
    },
  });
  // A design reference upload is an image, with a larger limit of its own (routes/blueprints.ts).
  api.use("*", async (c, next) => (REFERENCE_UPLOAD_PATH.test(c.req.path) ? referenceUploadLimit(c, next) : generalLimit(c, next)));
  // Only the OpenAPI document and the workflow JSON Schema (an editor's `$schema` URL) are public, by exact path:
  // matching on the suffix alone let `/runs/openapi.json` through without a token (to a handler with no principal).
  const isPublic = (path: string) => path === `${API_BASE}/openapi.json` || path === `${API_BASE}/workflows/schema`;
  const tokens = deps.revocations ? new TokenCache(deps.pool, deps.revocations) : undefined;
  const auth = requireAuth(deps.pool, deps.stepTokens, tokens);
  api.use("*", async (c, next) => (isPublic(c.req.path) ? next() : auth(c, next)));
  // After the body limit (it reads the body) and before any route: NUL, unpaired surrogates, `__proto__` keys.
  api.use("*", wellFormedInput());
  // Roles are decided in one table (./policy.ts), never in the handlers.
  const authorizeRoute = authorize(API_BASE);
  api.use("*", async (c, next) => (isPublic(c.req.path) ? next() : authorizeRoute(c, next)));
  workspaceRoutes(deps, api);
  workflowRoutes(api);
  runRoutes(deps, api);
  operationRoutes(deps, api);
  runnerRoutes(deps, api);
  projectRoutes(deps, api);
  jobRoutes(deps, api);
  buildRoutes(deps, api);
  blueprintRoutes(deps, api);
  publishRoutes(deps, api);
  deploymentRoutes(deps, api);
  usageRoutes(deps, api);
  settingsRoutes(deps, api);
  secretRoutes(deps, api);
  tokenRoutes(deps, api);
  if (deps.previews) previewRoutes({ ...deps, previews: deps.previews }, api);
  webhookRoutes(deps, api);
  sessionRoutes(deps, api);
  if (deps.taskTokens) {
    const { pool, secrets, log, cassettesDir, taskTokens } = deps;
    modelCallRoutes({ pool, secrets, log, cassettesDir, llmMetrics: deps.metrics.llm, taskTokens }, app);
    if (deps.previews) taskArtifactRoutes({ pool, taskTokens, dataDir: deps.previews.dataDir, maxArtifactBytes: deps.previews.maxArtifactBytes }, app);
  }
  // Public: how a browser signs in. Registered before the API so its token check never sees it.
  signInRoute(deps, app);
  app.route(API_BASE, api);
  if (deps.webDir) webUiRoutes(app, deps.webDir);
  return app;
}
