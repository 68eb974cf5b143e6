import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oneTo, readSse, seqs, type SseRead } from "./helpers/sse.ts";
import { runToEnd, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
beforeAll(async () => {
  s = await startTestShipyard();
});
afterAll(async () => {
  await s?.stop();
});

const LINES = 600;
// Many lines (more than one 500-event read of the hub), in bursts with pauses, so a reader can drop mid-run.
const CHATTY = `
name: chatty
steps:
  - id: talk
    run: |
      for i in $(seq 1 ${LINES}); do
        echo "line $i"
        if [ $((i % 50)) -eq 0 ]; then sleep 0.2; fi
      done
`;
const eventsUrl = (id: string, query = "") => `${s.url}/api/v1/operations/${id}/events${query}`;

async function start(workflow: string, inputs: Record<string, unknown> = {}): Promise<string> {
  const created = await s.api("POST", "/runs", { workflow, inputs });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** Every frame is well formed: `id:` is the event's seq, `event:` its type, `data:` the event of this operation. */
function parsed(r: SseRead, id: string): { seq: number; type: string; payload: Record<string, any> }[] {
  return r.events.map((f) => {
    const e = JSON.parse(f.data);
    expect(e.operationId).toBe(id);
    expect(String(e.seq)).toBe(f.id);
    expect(e.type).toBe(f.event);
    return e;
  });
}

const logLines = (events: { type: string; payload: Record<string, any> }[]) => events.filter((e) => e.type === "log").map((e) => e.payload.line as string);

/** The whole event log through the JSON API. */
async function allEvents(id: string): Promise<any[]> {
  const r = await s.api("GET", `/operations/${id}/events?limit=5000`);
  expect(r.status).toBe(200);
  return r.body.events;
}

describe("SSE event stream", () => {
  it("streams a run live from the start: id = seq 1..N gap-free, ends after `complete`", async () => {
    const id = await start("name: live\nsteps:\n  - id: a\n    run: |\n      echo one\n      sleep 1\n      echo two\n  - id: b\n    needs: a\n    run: echo three\n");
    const r = await readSse(eventsUrl(id), { token: s.adminToken });
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^text\/event-stream/);
    expect(r.ended).toBe(true);
    const events = parsed(r, id);
    expect(seqs(r)).toEqual(oneTo(events.length));
    expect(events.at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded" } });
    expect(events.filter((e) => e.type === "complete")).toHaveLength(1);
    expect(logLines(events)).toEqual(["one", "two", "three"]);
    // The stream is the stored log, nothing more and nothing less.
    const stored = await allEvents(id);
    expect(events.map((e) => [e.seq, e.type])).toEqual(stored.map((e) => [e.seq, e.type]));
  });

  it("resumes with Last-Event-ID after a dropped connection: no gaps, no duplicates", async () => {
    const id = await start(CHATTY);
    const K = 25;
    const first = await readSse(eventsUrl(id), { token: s.adminToken, stopAfter: K });
    expect(first.ended).toBe(false);
    expect(seqs(first)).toEqual(oneTo(K));
    const rest = await readSse(eventsUrl(id), { token: s.adminToken, lastEventId: String(K) });
    expect(rest.ended).toBe(true);
    const union = [...parsed(first, id), ...parsed(rest, id)];
    expect(union.map((e) => e.seq)).toEqual(oneTo(union.length));
    expect(union.at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded" } });
    expect(logLines(union)).toEqual(oneTo(LINES).map((i) => `line ${i}`));
    expect(union.length).toBe((await allEvents(id)).length);
  });

  it("resumes with ?since=N the same way", async () => {
    const id = await start(CHATTY);
    const K = 40;
    const first = await readSse(eventsUrl(id), { token: s.adminToken, stopAfter: K });
    expect(seqs(first)).toEqual(oneTo(K));
    const rest = await readSse(eventsUrl(id, `?since=${K}`), { token: s.adminToken });
    expect(rest.ended).toBe(true);
    const union = [...parsed(first, id), ...parsed(rest, id)];
    expect(union.map((e) => e.seq)).toEqual(oneTo(union.length));
    expect(logLines(union)).toEqual(oneTo(LINES).map((i) => `line ${i}`));
    expect(union.at(-1)?.type).toBe("complete");
  });

  it("replays a finished run in full, from the middle, and as an empty stream from its last seq", async () => {
    const run = await runToEnd(s, CHATTY);
    expect(run.status).toBe("succeeded");
    const stored = await allEvents(run.id);
    const last = stored.at(-1).seq as number;
    expect(stored.map((e) => e.seq)).toEqual(oneTo(last));

    const whole = await readSse(eventsUrl(run.id), { token: s.adminToken });
    expect(seqs(whole)).toEqual(oneTo(last));
    expect(whole.ended).toBe(true);

    const tail = await readSse(eventsUrl(run.id), { token: s.adminToken, lastEventId: String(last - 3) });
    expect(seqs(tail)).toEqual([last - 2, last - 1, last]);
    expect(tail.ended).toBe(true);

    for (const opts of [{ lastEventId: String(last) }, {}]) {
      const url = "lastEventId" in opts ? eventsUrl(run.id) : eventsUrl(run.id, `?since=${last}`);
      const empty = await readSse(url, { token: s.adminToken, guardMs: 10_000, ...opts });
      expect(empty.status).toBe(200);
      expect(empty.items).toEqual([]);
      expect(empty.ended).toBe(true);
    }
  });

  it("gives 200 followers joining one stream while the run prints every event once, in order", async () => {
    const id = await start(CHATTY);
    // Joins spread over the run's output (10 ms apart, ~2 s), from the start or resuming from a random seq.
    const readers = Array.from({ length: 200 }, (_, i) =>
      new Promise((r) => setTimeout(r, i * 10)).then(async () => {
        const lastEventId = i % 4 === 3 ? String(Math.floor(Math.random() * 50)) : undefined;
        return { from: Number(lastEventId ?? 0), read: await readSse(eventsUrl(id), { token: s.adminToken, lastEventId, guardMs: 60_000 }) };
      }),
    );
    const done = await Promise.all(readers);
    const last = (await allEvents(id)).at(-1).seq as number;
    const incomplete = done.filter(({ from, read }) => JSON.stringify(seqs(read)) !== JSON.stringify(oneTo(last).slice(from)));
    expect(incomplete.map(({ from, read }) => ({ from, got: read.events.length, first: seqs(read)[0] }))).toEqual([]);
    expect(done.every(({ read }) => read.ended && read.events.at(-1)?.event === "complete")).toBe(true);
  });

  it("sends heartbeat comments while a step is quiet", async () => {
    const id = await start("name: quiet\nsteps:\n  - id: nap\n    run: |\n      echo before\n      sleep 2\n      echo after\n");
    const r = await readSse(eventsUrl(id), { token: s.adminToken });
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
    const run = await runToEnd(s, "name: js\nsteps:\n  - id: a\n    run: printf 'x\\ny\\n'\n");
    const all = await s.api("GET", `/operations/${run.id}/events`);
    expect(all.status).toBe(200);
    expect(all.headers.get("content-type")).toMatch(/^application\/json/);
    const events = all.body.events;
    expect(events.map((e: { seq: number }) => e.seq)).toEqual(oneTo(events.length));
    expect(logLines(events)).toEqual(["x", "y"]);
    expect(events.at(-1)).toMatchObject({ type: "complete", operationId: run.id, payload: { status: "succeeded" } });
    const since = await s.api("GET", `/operations/${run.id}/events?since=2`);
    expect(since.body.events.map((e: { seq: number }) => e.seq)).toEqual(oneTo(events.length).slice(2));
  });

  it("rejects a malformed Last-Event-ID", async () => {
    const run = await runToEnd(s, "name: one\nsteps:\n  - id: a\n    run: 'true'\n");
    const r = await readSse(eventsUrl(run.id), { token: s.adminToken, lastEventId: "abc" });
    expect(r.status).toBe(400);
    expect(r.contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(r.body).code).toBe("invalid_request");
  });

  it("is 404 for another workspace, over SSE and JSON", async () => {
    const other = await s.api("POST", "/workspaces", { name: "elsewhere" });
    expect(other.status).toBe(201);
    const id = await start("name: mine\nsteps:\n  - id: a\n    run: sleep 1\n");
    const sse = await readSse(eventsUrl(id), { token: other.body.token });
    expect(sse.status).toBe(404);
    expect(sse.contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(sse.body).code).toBe("not_found");
    expect((await s.api("GET", `/operations/${id}/events`, undefined, other.body.token)).status).toBe(404);
    // The owner still reads it to the end.
    const mine = await readSse(eventsUrl(id), { token: s.adminToken });
    expect(mine.events.at(-1)?.event).toBe("complete");
    await waitFor(async () => (await s.api("GET", `/runs/${id}`)).body.status === "succeeded");
  });
});
