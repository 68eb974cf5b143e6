import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runToEnd, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
beforeAll(async () => {
  s = await startTestShipyard();
});
afterAll(async () => {
  await s?.stop();
});

const QUICK = "name: quick\nsteps:\n  - id: a\n    run: echo quick\n";
const LONG = "name: long\nsteps:\n  - id: wait\n    run: sleep 300\n";
const succeededHere: string[] = [];

/** A raw request to the server (no helper defaults), for the cases the api() helper cannot express. */
async function raw(route: string, init: RequestInit = {}): Promise<{ status: number; contentType: string | null; text: string }> {
  const res = await fetch(`${s.url}${route}`, init);
  return { status: res.status, contentType: res.headers.get("content-type"), text: await res.text() };
}

/** Assert an RFC 9457 problem with Shipyard's code; returns the parsed body. */
function expectProblem(r: { status: number; body: any; headers: Headers }, status: number, code: string): any {
  expect(r.status).toBe(status);
  expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(r.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  expect(r.body.type).toContain(code);
  return r.body;
}

const authed = (token = s.adminToken) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });

// The API's contract is tested in memory (src/server/routes/api.test.ts); these need a real server: a socket,
// the shared runner, metrics of runs that ran.
describe("problem+json errors", () => {
  it("413 payload_too_large for a body over 1 MiB", async () => {
    const big = JSON.stringify({ workflow: QUICK, file: "x".repeat(1024 * 1024 + 10) });
    const r = await raw("/api/v1/runs", { method: "POST", headers: authed(), body: big });
    expect(r.status).toBe(413);
    expect(r.contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(r.text)).toMatchObject({ status: 413, code: "payload_too_large" });
    // The connection the big body came on must not be reused for a request that then dies with it.
    for (let i = 0; i < 5; i++) expect((await s.api("GET", "/runs?limit=1")).status).toBe(200);
    // Without a content-length (chunked), the limit applies while reading.
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent === 0) c.enqueue(new TextEncoder().encode('{"workflow":"'));
        if (sent++ < 20) c.enqueue(chunk);
        else c.close();
      },
    });
    const chunked = await raw("/api/v1/runs", { method: "POST", headers: authed(), body: stream, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.text)).toMatchObject({ code: "payload_too_large" });
    for (let i = 0; i < 5; i++) expect((await s.api("GET", "/runs?limit=1")).status).toBe(200);
  });
});

describe("workspaces and isolation", () => {
  let a: { id: string; name: string; token: string };
  let b: { id: string; name: string; token: string };

  beforeAll(async () => {
    const ca = await s.api("POST", "/workspaces", { name: "team-a" });
    const cb = await s.api("POST", "/workspaces", { name: "team-b" });
    expect([ca.status, cb.status]).toEqual([201, 201]);
    a = ca.body;
    b = cb.body;
  });

  it("keeps each workspace's runs to itself; both use the shared runner", async () => {
    const ra = await s.api("POST", "/runs", { workflow: LONG }, a.token);
    expect(ra.status).toBe(201);
    const id = ra.body.id as string;
    expect((await s.api("GET", `/runs/${id}`, undefined, a.token)).status).toBe(200);
    expectProblem(await s.api("GET", `/runs/${id}`, undefined, b.token), 404, "not_found");
    expectProblem(await s.api("POST", `/runs/${id}/cancel`, undefined, b.token), 404, "not_found");
    expectProblem(await s.api("POST", `/runs/${id}/rerun`, undefined, b.token), 404, "not_found");
    expectProblem(await s.api("GET", `/operations/${id}/events`, undefined, b.token), 404, "not_found");
    expect((await s.api("GET", "/runs", undefined, b.token)).body.runs.map((r: { id: string }) => r.id)).not.toContain(id);
    expect((await s.api("GET", "/runs")).body.runs.map((r: { id: string }) => r.id)).not.toContain(id);
    // B's attempt to cancel did nothing: A's run is still going.
    expect(["pending", "running"]).toContain((await s.api("GET", `/runs/${id}`, undefined, a.token)).body.status);

    const rb = await s.api("POST", "/runs", { workflow: QUICK }, b.token);
    expect(rb.status).toBe(201);
    const done = await waitFor(async () => {
      const r = await s.api("GET", `/runs/${rb.body.id}`, undefined, b.token);
      return ["succeeded", "failed", "cancelled"].includes(r.body.status) ? r.body : null;
    });
    expect(done.status).toBe("succeeded");
    succeededHere.push(done.id);
    expect((await s.api("GET", "/runs", undefined, b.token)).body.runs.map((r: { id: string }) => r.id)).toEqual([rb.body.id]);
    expect((await s.api("GET", `/operations/${rb.body.id}/events`, undefined, b.token)).body.events.map((e: any) => e.payload.line).filter(Boolean)).toEqual(["quick"]);

    expect((await s.api("POST", `/runs/${id}/cancel`, undefined, a.token)).status).toBe(202);
    await waitFor(async () => (await s.api("GET", `/runs/${id}`, undefined, a.token)).body.status === "cancelled");
  });
});

describe("metrics", () => {
  it("exports Prometheus metrics read from the database", async () => {
    const ok = await runToEnd(s, QUICK);
    const failed = await runToEnd(s, "name: failing\nsteps:\n  - id: a\n    run: exit 1\n");
    expect([ok.status, failed.status]).toEqual(["succeeded", "failed"]);
    succeededHere.push(ok.id);
    const m = await raw("/metrics");
    expect(m.status).toBe(200);
    expect(m.contentType).toMatch(/^text\/plain/);
    const value = (name: string) => {
      const line = m.text.split("\n").find((l) => l.startsWith(name + " "));
      return line === undefined ? undefined : Number(line.slice(name.length + 1));
    };
    expect(value('shipyard_runs{status="succeeded"}')).toBeGreaterThanOrEqual(succeededHere.length);
    expect(value('shipyard_runs{status="failed"}')).toBeGreaterThanOrEqual(1);
    expect(value('shipyard_runners{status="online"}')).toBe(1);
    expect(m.text).toMatch(/^shipyard_step_duration_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} [1-9]/m);
    expect(m.text).toMatch(/^shipyard_queue_depth\{queue="runner-tasks"\} \d+$/m);
  });
});
