import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { listRunners } from "../../tasks/runners.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, RunnerSchema } from "../schemas.ts";

/** /runners: the runners that may serve this workspace. */
export function runnerRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/runners",
      summary: "Runners serving this workspace (its own and shared ones)",
      responses: { 200: { description: "Runners", content: { "application/json": { schema: z.object({ runners: z.array(RunnerSchema) }) } } }, ...errorResponses(401) },
    }),
    async (c) => c.json({ runners: await listRunners(deps.pool, c.get("principal").workspaceId) }, 200),
  );
}
