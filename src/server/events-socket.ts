// Live events over one WebSocket at /api/v1/ws: a client subscribes to any number of operations of its
// workspace, each from a sequence number (`since`), and gets every later event exactly once, in order, from the
// same EventHub the SSE streams use. After a reconnect it subscribes again with the last seq it saw per
// operation and misses nothing. Frames are JSON: {type: "subscribe", operationId, since?} and
// {type: "unsubscribe", operationId} in; {type: "subscribed" | "event" | "unsubscribed" | "error", ...} out.
// The workspace-wide feed: {type: "subscribe_operations", kinds?} in, then {type: "operation", operation} out for
// every operation of the socket's workspace created or changing status, and {type: "operations_missed"} when
// changes may have been lost (the server's LISTEN connection dropped): the client reads its list again.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { z } from "zod";
import type { Pool } from "../db/pool.ts";
import { ensureError, ShipyardError } from "../domain/errors.ts";
import type { EventHub } from "../events/hub.ts";
import type { StoredEvent } from "../events/store.ts";
import { OPERATION_KINDS } from "../domain/operation-kinds.ts";
import type { Logger } from "../logger.ts";
import { isOverAfter } from "../operations/service.ts";
import { bearerToken, resolveSession, resolveToken, sessionFromCookieHeader, type Principal } from "./auth.ts";
import { allows } from "./policy.ts";
import type { Revocations } from "./revocations.ts";

/** The path of the events socket. */
export const EVENTS_SOCKET_PATH = "/api/v1/ws";

/** Operations one socket may follow at once. */
const MAX_SUBSCRIPTIONS = 200;
/** Largest frame a client may send. */
const MAX_FRAME_BYTES = 4096;
/** A client that reads this far behind is cut off (it reconnects and resumes with `since`). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const PING_MS = 30_000;

const ClientFrame = z.discriminatedUnion("type", [
  z.object({ type: z.literal("subscribe"), operationId: z.string().min(1).max(100), since: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() }),
  z.object({ type: z.literal("unsubscribe"), operationId: z.string().min(1).max(100) }),
  z.object({ type: z.literal("subscribe_operations"), kinds: z.array(z.enum(OPERATION_KINDS)).max(OPERATION_KINDS.length).optional() }),
  z.object({ type: z.literal("unsubscribe_operations") }),
]);

/** What the events socket is built from. */
export interface EventsSocketDeps {
  pool: Pool;
  hub: EventHub;
  log: Logger;
  revocations?: Revocations;
  /** Aborted when the server stops: every socket is closed (1012) and its clients reconnect later. */
  closing?: AbortSignal;
}

/** The events socket's upgrade handler. */
export interface EventsSocket {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
}

/** Refuse an upgrade with a plain HTTP answer (the handshake never completes). */
function refuse(socket: Duplex, status: 401 | 403 | 503, detail: string): void {
  const { reason, code } = { 401: { reason: "Unauthorized", code: "unauthorized" }, 403: { reason: "Forbidden", code: "forbidden" }, 503: { reason: "Service Unavailable", code: "unavailable" } }[status];
  const body = JSON.stringify({ status, code, detail });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** The host (and port) of an Origin header, or null. */
function originHost(origin: string | undefined): string | null {
  if (!origin) return null;
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/** Create the handler; bearer tokens are checked at the handshake (`Authorization: Bearer <token>`). */
export function createEventsSocket(deps: EventsSocketDeps): EventsSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  deps.closing?.addEventListener("abort", () => {
    for (const client of wss.clients) client.close(1012, "server stopping");
  });
  return {
    async handleUpgrade(req, socket, head) {
      socket.on("error", () => socket.destroy());
      const token = bearerToken(req.headers.authorization);
      // A browser cannot set headers on a WebSocket: its session cookie signs it in, from Shipyard's own pages only.
      const session = token ? null : sessionFromCookieHeader(req.headers.cookie);
      if (session && originHost(req.headers.origin) !== req.headers.host) return refuse(socket, 403, "cross-site WebSocket refused: sign in by cookie from Shipyard's own pages");
      const principal = token ? await resolveToken(deps.pool, token).catch(() => null) : session ? await resolveSession(deps.pool, session).catch(() => null) : null;
      if (!principal) return refuse(socket, 401, token || session ? "unknown or revoked token" : "missing bearer token: send `Authorization: Bearer <token>`");
      if (!allows(principal, "viewer")) return refuse(socket, 403, "this token may not read events");
      if (deps.closing?.aborted) return refuse(socket, 503, "the server is stopping");
      wss.handleUpgrade(req, socket, head, (ws) => serve(deps, ws, principal));
    },
  };
}

function serve(deps: EventsSocketDeps, ws: WebSocket, principal: Principal): void {
  const subscriptions = new Map<string, () => void>();
  let unfollowOperations: (() => void) | null = null;
  const send = (frame: Record<string, unknown>) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return ws.close(1008, "too far behind: reconnect and resume with since");
    ws.send(JSON.stringify(frame));
  };
  const stopAll = () => {
    for (const unsubscribe of subscriptions.values()) unsubscribe();
    subscriptions.clear();
    unfollowOperations?.();
    untrack();
    clearInterval(ping);
  };
  const untrack = deps.revocations?.track(principal.tokenId, () => ws.close(4001, "token revoked")) ?? (() => undefined);
  const ping = setInterval(() => ws.ping(), PING_MS);
  ws.on("close", stopAll);
  ws.on("error", stopAll);
  const fail = (err: unknown, operationId?: string) => {
    const e = ensureError(err);
    send({ type: "error", ...(operationId ? { operationId } : {}), code: e instanceof ShipyardError ? e.code : "internal", message: e instanceof ShipyardError ? e.message : "internal error" });
    if (!(e instanceof ShipyardError)) deps.log.warn({ err: e.message }, "events socket frame failed");
  };
  ws.on("message", (data: RawData) => {
    let frame: z.infer<typeof ClientFrame>;
    try {
      frame = ClientFrame.parse(JSON.parse(String(data)));
    } catch {
      return fail(new ShipyardError("invalid_request", 'expected {"type":"subscribe","operationId":"...","since":0}, {"type":"unsubscribe","operationId":"..."} or {"type":"subscribe_operations","kinds":["workflow"]}', 400));
    }
    if (frame.type === "subscribe_operations" || frame.type === "unsubscribe_operations") return followOperations(frame);
    void handle(frame).catch((err: unknown) => fail(err, frame.operationId));
  });

  // Subscribing again replaces the kinds followed; the feed only ever carries the principal's workspace.
  function followOperations(frame: Extract<z.infer<typeof ClientFrame>, { type: "subscribe_operations" | "unsubscribe_operations" }>): void {
    unfollowOperations?.();
    unfollowOperations = null;
    if (frame.type === "unsubscribe_operations") return send({ type: "unsubscribed_operations" });
    unfollowOperations = deps.hub.operations.subscribe(principal.workspaceId, frame.kinds, (operation) =>
      send(operation ? { type: "operation", operation } : { type: "operations_missed" }),
    );
    send({ type: "subscribed_operations", kinds: frame.kinds ?? null });
  }

  async function handle(frame: Extract<z.infer<typeof ClientFrame>, { operationId: string }>): Promise<void> {
    const { operationId } = frame;
    if (frame.type === "unsubscribe") {
      subscriptions.get(operationId)?.();
      subscriptions.delete(operationId);
      return send({ type: "unsubscribed", operationId });
    }
    if (subscriptions.has(operationId)) throw new ShipyardError("invalid_request", `already subscribed to ${operationId}: unsubscribe first to start again from another seq`, 409);
    if (subscriptions.size >= MAX_SUBSCRIPTIONS) throw new ShipyardError("invalid_request", `at most ${MAX_SUBSCRIPTIONS} subscriptions per socket`, 400);
    const since = frame.since ?? 0;
    // not_found for an operation outside the token's workspace, as the SSE stream answers.
    const over = await isOverAfter(deps.pool, principal.workspaceId, operationId, since);
    if (ws.readyState !== WebSocket.OPEN || subscriptions.has(operationId)) return;
    // `ended`: the operation is over and nothing came after `since`.
    send({ type: "subscribed", operationId, since, ended: over });
    if (over) return;
    const unsubscribe = deps.hub.subscribe(operationId, since, (events: StoredEvent[]) => {
      for (const event of events) {
        send({ type: "event", operationId, event });
        if (event.type === "complete") {
          subscriptions.get(operationId)?.();
          subscriptions.delete(operationId);
        }
      }
    });
    subscriptions.set(operationId, unsubscribe);
  }
}
