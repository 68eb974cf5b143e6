// Live events over the WebSocket at /api/v1/ws, over real HTTP on loopback with the real EventHub and NOTIFY
// (no engine or runner: the test appends events as an operation would), and the JSON poll with ?since=<ISO time>.
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { migrate } from "../src/db/migrate.ts";
import { createPool, type Pool } from "../src/db/pool.ts";
import { newId } from "../src/domain/ids.ts";
import type { EventInput } from "../src/events/catalogue.ts";
import { EventHub } from "../src/events/hub.ts";
import { Notifier } from "../src/events/notifier.ts";
import { appendEventsNow } from "../src/events/store.ts";
import { createLogger } from "../src/logger.ts";
import { finishOperation, insertOperation, markOperationRunning } from "../src/operations/store.ts";
import { createOutboundClient } from "../src/net/outbound-client.ts";
import { SecretBox } from "../src/secrets/box.ts";
import { createSecretStore } from "../src/secrets/store.ts";
import { createApp } from "../src/server/app.ts";
import { createWorkspace } from "../src/server/auth.ts";
import { createEventsSocket, EVENTS_SOCKET_PATH } from "../src/server/events-socket.ts";
import { Metrics } from "../src/server/metrics.ts";
import { freshDatabase } from "./helpers/database.ts";
import { readSse } from "./helpers/sse.ts";
import { RecordingWorkflows } from "./helpers/workflows.ts";

const log = createLogger("silent");
let pool: Pool;
let notifier: Notifier;
let server: ServerType;
let base: string;
let ws: { id: string; token: string };
let other: { id: string; token: string };
let hub: EventHub;

beforeAll(async () => {
  const db = await freshDatabase("wsevents");
  pool = createPool(db, 10);
  await migrate(pool);
  notifier = new Notifier(db, log);
  await notifier.start();
  hub = new EventHub(pool, notifier, log);
  const secrets = createSecretStore(pool, new SecretBox(Buffer.alloc(32)));
  const app = createApp({ pool, workflows: new RecordingWorkflows(), hub, log, metrics: new Metrics(pool), secrets, outbound: createOutboundClient(loadConfig({}).urls), heartbeatMs: 300, isReady: () => true });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const socket = createEventsSocket({ pool, hub, log });
  server.on("upgrade", (req, sock, head) => void socket.handleUpgrade(req, sock, head));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  ws = await createWorkspace(pool, "wsevents");
  other = await createWorkspace(pool, "wsevents-other");
});
afterAll(async () => {
  // Kept-alive fetch connections would hold close() for the keep-alive timeout.
  (server as import("node:http").Server | undefined)?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await notifier?.stop();
  await pool?.end();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const line = (n: number): EventInput => ({ type: "log", payload: { stepId: "talk", attempt: 1, stream: "stdout", line: `line ${n}` } });

async function operation(workspaceId = ws.id): Promise<string> {
  const id = newId("run");
  await pool.query("insert into operations (id, workspace_id, kind, status, title) values ($1, $2, 'workflow', 'running', 't')", [id, workspaceId]);
  await appendEventsNow(pool, id, [{ type: "status", payload: { status: "running" } }]);
  return id;
}

async function finish(id: string): Promise<void> {
  await pool.query("update operations set status = 'succeeded', finished_at = now() where id = $1", [id]);
  await appendEventsNow(pool, id, [{ type: "complete", payload: { status: "succeeded", outputs: {}, error: null } }]);
}

/** A connected client that records every frame it receives. */
async function connect(token = ws.token): Promise<{ socket: WebSocket; frames: any[]; send(f: unknown): void }> {
  const socket = new WebSocket(`ws://${base}${EVENTS_SOCKET_PATH}`, { headers: { authorization: `Bearer ${token}` } });
  const frames: any[] = [];
  socket.on("message", (d) => frames.push(JSON.parse(String(d))));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return { socket, frames, send: (f) => socket.send(JSON.stringify(f)) };
}

const until = async (check: () => boolean, what: string) => {
  for (const deadline = Date.now() + 15_000; !check(); await pause(20)) if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
};
const seqsOf = (frames: any[], id: string) => frames.filter((f) => f.type === "event" && f.operationId === id).map((f) => f.event.seq as number);
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("events over a WebSocket", () => {
  it("follows many operations on one socket, each event once and in order", async () => {
    const [a, b] = [await operation(), await operation()];
    const c = await connect();
    c.send({ type: "subscribe", operationId: a, since: 0 });
    c.send({ type: "subscribe", operationId: b });
    await until(() => c.frames.filter((f) => f.type === "subscribed").length === 2, "two subscriptions");
    for (let i = 1; i <= 100; i += 20) {
      await appendEventsNow(pool, a, Array.from({ length: 20 }, (_, k) => line(i + k)));
      await appendEventsNow(pool, b, [line(i)]);
      await pause(10);
    }
    await finish(a);
    await finish(b);
    await until(() => seqsOf(c.frames, a).length === 102 && seqsOf(c.frames, b).length === 7, "every event");
    expect(seqsOf(c.frames, a)).toEqual(oneTo(102));
    expect(seqsOf(c.frames, b)).toEqual(oneTo(7));
    c.socket.close();
  });

  it("resumes exactly after a reconnect: subscribing again with the last seq seen leaves no gap and no duplicate", async () => {
    const id = await operation();
    const first = await connect();
    first.send({ type: "subscribe", operationId: id });
    const writing = (async () => {
      for (let i = 1; i <= 300; i += 30) {
        await appendEventsNow(pool, id, Array.from({ length: 30 }, (_, k) => line(i + k)));
        await pause(30);
      }
      await finish(id);
    })();
    await until(() => seqsOf(first.frames, id).length >= 50, "the first events");
    first.socket.terminate();
    const seen = seqsOf(first.frames, id);
    const second = await connect();
    second.send({ type: "subscribe", operationId: id, since: seen.at(-1) });
    await writing;
    await until(() => second.frames.some((f) => f.type === "event" && f.event.type === "complete"), "the complete event");
    expect([...seen, ...seqsOf(second.frames, id)]).toEqual(oneTo(302));
    second.socket.close();
  });

  it("refuses a socket without a valid token, another workspace's operation, and a bad frame (the socket stays open)", async () => {
    const refused = new WebSocket(`ws://${base}${EVENTS_SOCKET_PATH}`, { headers: { authorization: "Bearer syk_nope" } });
    const status = await new Promise<number>((resolve) => refused.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(401);

    const theirs = await operation(other.id);
    const c = await connect();
    c.send({ type: "subscribe", operationId: theirs });
    c.socket.send("not json");
    await until(() => c.frames.filter((f) => f.type === "error").length === 2, "two errors");
    expect(c.frames.find((f) => f.operationId === theirs)).toMatchObject({ type: "error", code: "not_found" });
    expect(c.frames.find((f) => f.type === "error" && !f.operationId)).toMatchObject({ code: "invalid_request" });
    const mine = await operation();
    c.send({ type: "subscribe", operationId: mine });
    await until(() => c.frames.some((f) => f.type === "subscribed" && f.operationId === mine), "a subscription after the errors");
    c.socket.close();
  });
});

describe("events since a time (for pollers)", () => {
  it("answers the events stored after an ISO time, and 400 for a since that is neither a seq nor a time", async () => {
    const id = await operation();
    await appendEventsNow(pool, id, [line(1), line(2)]);
    await pause(50);
    const cut = new Date().toISOString();
    await pause(50);
    await appendEventsNow(pool, id, [line(3)]);
    const get = (since: string) => fetch(`http://${base}/api/v1/operations/${id}/events?since=${encodeURIComponent(since)}`, { headers: { authorization: `Bearer ${ws.token}`, accept: "application/json" } });
    const after = await (await get(cut)).json();
    expect(after.events.map((e: any) => e.payload.line)).toEqual(["line 3"]);
    expect((await (await get("2000-01-01T00:00:00Z")).json()).events).toHaveLength(4);
    expect((await get("yesterday")).status).toBe(400);
    const theirs = await fetch(`http://${base}/api/v1/operations/${id}/events?since=${encodeURIComponent(cut)}`, { headers: { authorization: `Bearer ${other.token}`, accept: "application/json" } });
    expect(theirs.status).toBe(404);
  });
});

describe("the workspace's operations feed", () => {
  it("delivers a new run's creation and each status change, never another workspace's operation", async () => {
    const mine = await connect();
    const theirs = await connect(other.token);
    mine.send({ type: "subscribe_operations", kinds: ["workflow"] });
    theirs.send({ type: "subscribe_operations" });
    await until(() => mine.frames.some((f) => f.type === "subscribed_operations") && theirs.frames.some((f) => f.type === "subscribed_operations"), "both feeds");

    const created = await fetch(`http://${base}/api/v1/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${ws.token}`, "content-type": "application/json" },
      body: JSON.stringify({ workflow: "name: fed\nsteps:\n  - id: a\n    run: echo a\n" }),
    });
    expect(created.status).toBe(201);
    const runId = ((await created.json()) as { id: string }).id;
    await markOperationRunning(pool, runId);
    await markOperationRunning(pool, runId); // no change of status: no frame
    await finishOperation(pool, runId, "succeeded", null);
    // A job of this workspace is not a workflow: filtered out by `kinds`; the other socket follows every kind.
    await insertOperation(pool, { id: newId("job"), workspaceId: ws.id, kind: "job", title: "a job" });
    const theirRun = newId("run");
    await insertOperation(pool, { id: theirRun, workspaceId: other.id, kind: "workflow", title: "theirs" });

    await until(() => theirs.frames.some((f) => f.type === "operation"), "the other workspace's own operation");
    await until(() => mine.frames.filter((f) => f.type === "operation").length >= 3, "the run's three changes");
    await pause(100);
    const ops = mine.frames.filter((f) => f.type === "operation").map((f) => f.operation);
    expect(ops.map((o) => [o.id, o.kind, o.status])).toEqual([
      [runId, "workflow", "pending"],
      [runId, "workflow", "running"],
      [runId, "workflow", "succeeded"],
    ]);
    expect(ops[0]).toMatchObject({ title: "fed", error: null, startedAt: null, finishedAt: null });
    expect(ops[2].finishedAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(theirs.frames.filter((f) => f.type === "operation").map((f) => f.operation.id)).toEqual([theirRun]);
    mine.socket.close();
    theirs.socket.close();
  });

  it("tells the feed's sockets to read their lists again when the server's LISTEN connection was lost", async () => {
    const c = await connect();
    c.send({ type: "subscribe_operations" });
    await until(() => c.frames.some((f) => f.type === "subscribed_operations"), "the feed");
    // Notifications sent while the connection is down are lost for good: only a re-read closes the gap.
    await pool.query("select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'listen %' and pid <> pg_backend_pid()");
    await until(() => c.frames.some((f) => f.type === "operations_missed"), "operations_missed");
    const id = newId("run");
    await insertOperation(pool, { id, workspaceId: ws.id, kind: "workflow", title: "after the outage" });
    await until(() => c.frames.some((f) => f.type === "operation" && f.operation.id === id), "the feed live again");
    c.socket.close();
  });
});

describe("the operations feed as SSE", () => {
  it("GET /operations/stream says ready, then streams this workspace's operations of the kinds asked for", async () => {
    // The sockets of the tests before close asynchronously: none is left on the feed before this stream joins.
    await until(() => hub.operations.subscribers === 0, "the earlier feeds to close");
    const reading = readSse(`http://${base}/api/v1/operations/stream?kinds=workflow`, { token: ws.token, stopWhen: (e) => e.event === "operation" && JSON.parse(e.data).status === "succeeded" });
    await until(() => hub.operations.subscribers === 1, "the stream's subscription");
    await insertOperation(pool, { id: newId("run"), workspaceId: other.id, kind: "workflow", title: "theirs" });
    await insertOperation(pool, { id: newId("job"), workspaceId: ws.id, kind: "job", title: "a job" });
    const id = newId("run");
    await insertOperation(pool, { id, workspaceId: ws.id, kind: "workflow", title: "streamed" });
    await finishOperation(pool, id, "succeeded", null);
    const read = await reading;
    expect(read.status).toBe(200);
    expect(read.events.map((e) => e.event)).toEqual(["ready", "operation", "operation"]);
    expect(read.events.slice(1).map((e) => JSON.parse(e.data))).toMatchObject([
      { id, kind: "workflow", status: "pending", title: "streamed" },
      { id, kind: "workflow", status: "succeeded" },
    ]);
    const bad = await fetch(`http://${base}/api/v1/operations/stream?kinds=runs`, { headers: { authorization: `Bearer ${ws.token}` } });
    expect(bad.status).toBe(400);
  });
});
