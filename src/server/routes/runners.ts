import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
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
    async (c) => {
      const res = await deps.pool.query<{
        id: string;
        name: string;
        labels: string[];
        slots: number;
        status: "online" | "offline";
        workspace_id: string | null;
        sandbox: "bwrap" | "none";
        active: number;
        connected_at: Date | null;
        last_seen_at: Date | null;
      }>(
        `select r.*, (select count(*) from tasks t where t.runner_id = r.id and t.status = 'assigned')::int as active
         from runners r where r.workspace_id is null or r.workspace_id = $1 order by r.name`,
        [c.get("principal").workspaceId],
      );
      const runners = res.rows.map((r) => ({
        id: r.id,
        name: r.name,
        labels: r.labels,
        slots: r.slots,
        status: r.status,
        shared: r.workspace_id === null,
        sandbox: r.sandbox,
        activeTasks: r.active,
        connectedAt: r.connected_at?.toISOString() ?? null,
        lastSeenAt: r.last_seen_at?.toISOString() ?? null,
      }));
      return c.json({ runners }, 200);
    },
  );
}
