// The SSE event stream over real HTTP on loopback, with the real EventHub and NOTIFY, but no engine or runner:
// the events are appended by the test as a run's would be, paced so that readers join and drop mid-stream.
// A real run streamed end to end is in test/runs.test.ts.
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../src/db/migrate.ts";
import { createPool, type Pool } from "../src/db/pool.ts";
import { newId } from "../src/domain/ids.ts";
import type { EventInput } from "../src/events/catalogue.ts";
import { EventHub } from "../src/events/hub.ts";
import { Notifier } from "../src/events/notifier.ts";
import { appendEventsNow } from "../src/events/store.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { createOutboundClient } from "../src/net/outbound-client.ts";
import { SecretBox } from "../src/secrets/box.ts";
import { createSecretStore } from "../src/secrets/store.ts";
import { createApp } from "../src/server/app.ts";
import { createWorkspace } from "../src/server/auth.ts";
import { Metrics } from "../src/server/metrics.ts";
import { freshDatabase } from "./helpers/database.ts";
import { oneTo, readSse, seqs, type SseRead } from "./helpers/sse.ts";
import { RecordingWorkflows } from "./helpers/workflows.ts";

const log = createLogger("silent");
let pool: Pool;
let notifier: Notifier;
let server: ServerType;
let url: string;
let ws: { id: string; token: string };
let other: { id: string; token: string };

beforeAll(async () => {
  const db = await freshDatabase("sse");
  pool = createPool(db, 10);
  await migrate(pool);
  notifier = new Notifier(db, log);
  await notifier.start();
  const hub = new EventHub(pool, notifier, log);
  const app = createApp({
    pool,
    workflows: new RecordingWorkflows(),
    hub,
    log,
    metrics: new Metrics(pool),
    secrets: createSecretStore(pool, new SecretBox(Buffer.alloc(32))),
    outbound: createOutboundClient(loadConfig({}).urls),
    heartbeatMs: 300,
    isReady: () => true,
  });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ws = await createWorkspace(pool, "sse");
  other = await createWorkspace(pool, "elsewhere");
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await notifier?.stop();
  await pool?.end();
});

const eventsUrl = (id: string, query = "") => `${url}/api/v1/operations/${id}/events${query}`;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LINES = 600;

/** A running operation of the workspace, as a run is once it has started. */
async function operation(workspaceId = ws.id): Promise<string> {
  const id = newId("run");
  await pool.query("insert into operations (id, workspace_id, kind, status, title) values ($1, $2, 'workflow', 'running', 't')", [id, workspaceId]);
  await appendEventsNow(pool, id, [{ type: "status", payload: { status: "running" } }]);
  return id;
}

const line = (n: number): EventInput => ({ type: "log", payload: { stepId: "talk", attempt: 1, stream: "stdout", line: `line ${n}` } });

/** Print `LINES` lines in bursts of 50 with a pause between, then end the operation as a run ends. */
async function chatty(id: string, pauseMs = 40): Promise<void> {
  for (let i = 1; i <= LINES; i += 50) {
    await appendEventsNow(pool, id, Array.from({ length: 50 }, (_, k) => line(i + k)));
    await pause(pauseMs);
  }
  await finish(id);
}

async function finish(id: string): Promise<void> {
  await pool.query("update operations set status = 'succeeded', finished_at = now() where id = $1", [id]);
  await appendEventsNow(pool, id, [
    { type: "status", payload: { status: "succeeded" } },
    { type: "complete", payload: { status: "succeeded", outputs: {}, error: null } },
  ]);
}

/** Every frame is well formed: `id:` is the event's seq, `event:` its type, `data:` the event of this operation. */
function parsed(r: SseRead, id: string): { seq: number; type: string; payload: Record<string, unknown> }[] {
  return r.events.map((f) => {
    const e = JSON.parse(f.data);
    expect(e.operationId).toBe(id);
    expect(String(e.seq)).toBe(f.id);
    expect(e.type).toBe(f.event);
    return e;
  });
}

const logLines = (events: { type: string; payload: Record<string, unknown> }[]) => events.filter((e) => e.type === "log").map((e) => e.payload.line as string);
const allLines = oneTo(LINES).map((i) => `line ${i}`);

async function json(id: string, query = "", token = ws.token): Promise<{ status: number; contentType: string | null; body: any }> {
  const res = await fetch(eventsUrl(id, query), { headers: { authorization: `Bearer ${token}`, accept: "application/json" } });
  return { status: res.status, contentType: res.headers.get("content-type"), body: await res.json() };
}

describe("SSE event stream", () => {
  it("resumes with Last-Event-ID after a dropped connection: no gaps, no duplicates", async () => {
    const id = await operation();
    const writing = chatty(id);
    const K = 25;
    const first = await readSse(eventsUrl(id), { token: ws.token, stopAfter: K });
    expect(first.ended).toBe(false);
    expect(seqs(first)).toEqual(oneTo(K));
    const rest = await readSse(eventsUrl(id), { token: ws.token, lastEventId: String(K) });
    await writing;
    expect(rest.ended).toBe(true);
    const union = [...parsed(first, id), ...parsed(rest, id)];
    expect(union.map((e) => e.seq)).toEqual(oneTo(union.length));
    expect(union.at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded" } });
    expect(logLines(union)).toEqual(allLines);
    expect(union.length).toBe((await json(id, "?limit=5000")).body.events.length);
  });

  it("resumes with ?since=N the same way", async () => {
    const id = await operation();
    const writing = chatty(id);
    const K = 40;
    const first = await readSse(eventsUrl(id), { token: ws.token, stopAfter: K });
    expect(seqs(first)).toEqual(oneTo(K));
    const rest = await readSse(eventsUrl(id, `?since=${K}`), { token: ws.token });
    await writing;
    expect(rest.ended).toBe(true);
    const union = [...parsed(first, id), ...parsed(rest, id)];
    expect(union.map((e) => e.seq)).toEqual(oneTo(union.length));
    expect(logLines(union)).toEqual(allLines);
    expect(union.at(-1)?.type).toBe("complete");
  });

  it("replays a finished operation in full, from the middle, and as an empty stream from its last seq", async () => {
    const id = await operation();
    await chatty(id, 0);
    const stored = (await json(id, "?limit=5000")).body.events;
    const last = stored.at(-1).seq as number;
    expect(stored.map((e: { seq: number }) => e.seq)).toEqual(oneTo(last));

    const whole = await readSse(eventsUrl(id), { token: ws.token });
    expect(seqs(whole)).toEqual(oneTo(last));
    expect(whole.ended).toBe(true);

    const tail = await readSse(eventsUrl(id), { token: ws.token, lastEventId: String(last - 3) });
    expect(seqs(tail)).toEqual([last - 2, last - 1, last]);
    expect(tail.ended).toBe(true);

    for (const opts of [{ lastEventId: String(last) }, {}]) {
      const at = "lastEventId" in opts ? eventsUrl(id) : eventsUrl(id, `?since=${last}`);
      const empty = await readSse(at, { token: ws.token, guardMs: 10_000, ...opts });
      expect(empty.status).toBe(200);
      expect(empty.items).toEqual([]);
      expect(empty.ended).toBe(true);
    }
  });

  it("gives 200 followers joining one stream while the operation prints every event once, in order", async () => {
    const id = await operation();
    const writing = chatty(id, 150);
    // Joins spread over the output (10 ms apart, ~2 s), from the start or resuming from a random seq.
    const readers = Array.from({ length: 200 }, (_, i) =>
      pause(i * 10).then(async () => {
        const lastEventId = i % 4 === 3 ? String(Math.floor(Math.random() * 50)) : undefined;
        return { from: Number(lastEventId ?? 0), read: await readSse(eventsUrl(id), { token: ws.token, lastEventId, guardMs: 60_000 }) };
      }),
    );
    const done = await Promise.all(readers);
    await writing;
    const last = (await json(id, "?limit=5000")).body.events.at(-1).seq as number;
    const incomplete = done.filter(({ from, read }) => JSON.stringify(seqs(read)) !== JSON.stringify(oneTo(last).slice(from)));
    expect(incomplete.map(({ from, read }) => ({ from, got: read.events.length, first: seqs(read)[0] }))).toEqual([]);
    expect(done.every(({ read }) => read.ended && read.events.at(-1)?.event === "complete")).toBe(true);
  });

  it("sends heartbeat comments while the operation is quiet", async () => {
    const id = await operation();
    const writing = (async () => {
      await appendEventsNow(pool, id, [{ type: "log", payload: { stepId: "nap", stream: "stdout", line: "before" } }]);
      await pause(1000);
      await appendEventsNow(pool, id, [{ type: "log", payload: { stepId: "nap", stream: "stdout", line: "after" } }]);
      await finish(id);
    })();
    const r = await readSse(eventsUrl(id), { token: ws.token });
    await writing;
    expect(r.ended).toBe(true);
    const at = (pred: (i: (typeof r.items)[number]) => boolean) => r.items.findIndex(pred);
    const before = at((i) => i.kind === "event" && i.event === "log" && JSON.parse(i.data).payload.line === "before");
    const after = at((i) => i.kind === "event" && i.event === "log" && JSON.parse(i.data).payload.line === "after");
    expect(before).toBeGreaterThanOrEqual(0);
    expect(after).toBeGreaterThan(before);
    const between = r.items.slice(before + 1, after);
    expect(between.length).toBeGreaterThan(0);
    expect(between).toEqual(between.map(() => ({ kind: "comment", text: "heartbeat" })));
    expect(seqs(r)).toEqual(oneTo(r.events.length));
  });
});

describe("events as JSON and access control", () => {
  it("returns {events} for Accept: application/json, honouring since", async () => {
    const id = await operation();
    await appendEventsNow(pool, id, [line(1), line(2)]);
    await finish(id);
    const all = await json(id);
    expect(all.status).toBe(200);
    expect(all.contentType).toMatch(/^application\/json/);
    const events = all.body.events;
    expect(events.map((e: { seq: number }) => e.seq)).toEqual(oneTo(events.length));
    expect(logLines(events)).toEqual(["line 1", "line 2"]);
    expect(events.at(-1)).toMatchObject({ type: "complete", operationId: id, payload: { status: "succeeded" } });
    expect((await json(id, "?since=2")).body.events.map((e: { seq: number }) => e.seq)).toEqual(oneTo(events.length).slice(2));
  });

  it("rejects a malformed Last-Event-ID", async () => {
    const id = await operation();
    const r = await readSse(eventsUrl(id), { token: ws.token, lastEventId: "abc" });
    expect(r.status).toBe(400);
    expect(r.contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(r.body).code).toBe("invalid_request");
  });

  it("is 404 for another workspace, over SSE and JSON", async () => {
    const id = await operation();
    const sse = await readSse(eventsUrl(id), { token: other.token });
    expect(sse.status).toBe(404);
    expect(sse.contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(sse.body).code).toBe("not_found");
    expect((await json(id, "", other.token)).status).toBe(404);
    // The owner still reads it to the end.
    const mine = readSse(eventsUrl(id), { token: ws.token });
    await finish(id);
    expect((await mine).events.at(-1)?.event).toBe("complete");
  });
});
