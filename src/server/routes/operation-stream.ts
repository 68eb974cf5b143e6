import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { ShipyardError } from "../../domain/errors.ts";
import { OPERATION_KINDS } from "../../domain/operation-kinds.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses } from "../schemas.ts";
import { holdSseStream } from "../sse-session.ts";

// `kinds=workflow,job` or repeated: the kinds to follow (all when absent).
const Kinds = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")).filter((s) => s !== ""))
  .pipe(z.array(z.enum(OPERATION_KINDS)).max(OPERATION_KINDS.length))
  .openapi({ type: "string", description: "Only these kinds, comma-separated", example: "workflow" });

/**
 * GET /operations/stream: the workspace's feed of operation changes as SSE, for scripts (the UI has the same
 * feed on the WebSocket). There is no replay: a client lists what it needs once the stream is open (the first
 * `ready` event), then applies the `operation` events; `resync` means changes may have been missed: list again.
 */
export function operationStreamRoute(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/operations/stream",
      summary: "Live feed of this workspace's operations created or changing status (SSE: `ready`, then `operation` events; `resync`: list again)",
      request: { query: z.object({ kinds: Kinds.optional() }) },
      responses: { 200: { description: "text/event-stream; `data:` of an `operation` event is {id, kind, status, title, error, createdAt, startedAt, finishedAt}", content: { "text/event-stream": { schema: z.string() } } }, ...errorResponses(400, 401) },
    }),
    async (c) => {
      if (!deps.hub) throw new ShipyardError("unavailable", "live events are not available on this server", 503);
      if (deps.closing?.aborted) throw new ShipyardError("unavailable", "the server is stopping", 503);
      const feed = deps.hub.operations;
      const { kinds } = c.req.valid("query");
      const principal = c.get("principal");
      return streamSSE(c, (stream) =>
        holdSseStream(stream, { heartbeatMs: deps.heartbeatMs, closing: deps.closing, revocations: deps.revocations, tokenId: principal.tokenId, first: { event: "ready", data: "{}" } }, (session) =>
          feed.subscribe(principal.workspaceId, kinds, (change) =>
            session.write(change ? { event: "operation", data: JSON.stringify(change) } : { event: "resync", data: "{}" }),
          ),
        ),
      ) as never;
    },
  );
}
