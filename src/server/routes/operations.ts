import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { ShipyardError } from "../../domain/errors.ts";
import type { StoredEvent } from "../../events/store.ts";
import { cancelOperation, eventsAfter, getOperation, isOverAfter, resumePoint } from "../../operations/service.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { holdSseStream } from "../sse-session.ts";
import { errorResponses, EventSchema, IdParam } from "../schemas.ts";
import { operationStreamRoute } from "./operation-stream.ts";

const OperationSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    status: z.string(),
    title: z.string(),
    error: z.string().nullable(),
    lastSeq: z.number().int(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    detail: z.unknown().openapi({ description: "The kind's own view: a Run for kind `workflow`, a Job for kind `job`" }),
  })
  .openapi("Operation");

/** /operations/{id}: any durable execution (a run, a job) and its events as SSE (live, with replay) or JSON. */
export function operationRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  // Before /operations/{id}, which would take "stream" for an id.
  operationStreamRoute(deps, app);
  app.openapi(
    createRoute({
      method: "get",
      path: "/operations/{id}",
      summary: "An operation: kind, status, error, the sequence number of its last event",
      request: { params: IdParam },
      responses: { 200: { description: "The operation", content: { "application/json": { schema: OperationSchema } } }, ...errorResponses(401, 404) },
    }),
    async (c) => c.json(await getOperation(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/operations/{id}/cancel",
      summary: "Cancel an operation of any kind, as /runs/{id}/cancel or /jobs/{id}/cancel would",
      request: { params: IdParam },
      responses: { 202: { description: "Cancellation accepted", content: { "application/json": { schema: OperationSchema } } }, ...errorResponses(401, 404, 409) },
    }),
    async (c) => c.json(await cancelOperation(deps, c.get("principal").workspaceId, c.req.valid("param").id), 202),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/operations/{id}/events",
      summary: "Events of an operation: SSE with Last-Event-ID / ?since=N replay, or JSON with Accept: application/json",
      request: {
        params: IdParam,
        query: z.object({
          since: z
            .union([z.string().regex(/^\d{1,15}$/).transform(Number), z.iso.datetime({ offset: true }).transform((t) => new Date(t))], {
              error: "a sequence number, or an ISO 8601 time such as 2026-12-01T10:00:00Z",
            })
            .optional()
            .openapi({ description: "Replay events with seq > since, or (an ISO 8601 time) events stored after that time", type: "string" }),
          limit: z.coerce.number().int().min(1).max(5000).default(1000).openapi({ description: "JSON mode page size" }),
        }),
        // At most 15 digits: a sequence number stays an exact JS number (a longer one reached PostgreSQL as "1e+23").
        headers: z.object({ "last-event-id": z.string().regex(/^\d{1,15}$/, "a sequence number of at most 15 digits").optional() }),
      },
      responses: {
        200: {
          description: "text/event-stream: `id:` is the sequence number, `event:` the type, `data:` the event as JSON; ends after the `complete` event",
          content: { "text/event-stream": { schema: z.string() }, "application/json": { schema: z.object({ events: z.array(EventSchema) }) } },
        },
        ...errorResponses(400, 401, 404),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const query = c.req.valid("query");
      const header = c.req.valid("header")["last-event-id"];
      const workspaceId = c.get("principal").workspaceId;
      // A time is turned into the seq of the last event stored by then, once the operation is known to be the workspace's.
      if (query.since instanceof Date && header === undefined) await isOverAfter(deps.pool, workspaceId, id, 0);
      const since = header !== undefined ? Number(header) : await resumePoint(deps.pool, id, query.since ?? 0);
      const alreadyOver = await isOverAfter(deps.pool, workspaceId, id, since);
      if ((c.req.header("accept") ?? "").includes("application/json")) {
        return c.json({ events: await eventsAfter(deps.pool, id, since, query.limit) }, 200);
      }
      if (!deps.hub) throw new ShipyardError("unavailable", "live events are not available on this server", 503);
      const hub = deps.hub;
      const principal = c.get("principal");
      const closing = deps.closing;
      // A stopping server may still get a request on a kept-alive connection: the client is to retry later.
      if (closing?.aborted) throw new ShipyardError("unavailable", "the server is stopping", 503);
      return streamSSE(c, async (stream) => {
        if (alreadyOver) return;
        // A stopping server ends the stream without `complete`: the client reconnects with Last-Event-ID.
        await holdSseStream(stream, { heartbeatMs: deps.heartbeatMs, closing, revocations: deps.revocations, tokenId: principal.tokenId }, (session) =>
          hub.subscribe(id, since, (events: StoredEvent[]) => {
            for (const e of events) {
              if (session.finished) return;
              session.write({ id: String(e.seq), event: e.type, data: JSON.stringify(e) });
              if (e.type === "complete") session.finish();
            }
          }),
        );
      }) as never;
    },
  );
}
