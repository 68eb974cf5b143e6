import { promises as fs } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runToEnd, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
beforeAll(async () => {
  s = await startTestShipyard();
});
afterAll(async () => {
  await s?.stop();
});

const EXAMPLE = await fs.readFile(new URL("../examples/hello.yaml", import.meta.url), "utf8");
const QUICK = "name: quick\nsteps:\n  - id: a\n    run: echo quick\n";
const LONG = "name: long\nsteps:\n  - id: wait\n    run: sleep 300\n";
const NUMBERED = "name: numbered\ninputs:\n  n: { type: number, required: true }\nsteps:\n  - id: a\n    run: echo ${{ inputs.n }}\n";
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

describe("problem+json errors", () => {
  it("401 without a token and with a wrong token", async () => {
    const none = await fetch(`${s.url}/api/v1/runs`);
    expectProblem({ status: none.status, body: await none.json(), headers: none.headers }, 401, "unauthorized");
    const wrong = await s.api("GET", "/runs", undefined, "shp_not-a-real-token");
    expectProblem(wrong, 401, "unauthorized");
    // Only /api/v1/openapi.json is public, not every path that happens to end like it.
    const sneaky = await fetch(`${s.url}/api/v1/runs/openapi.json`);
    expectProblem({ status: sneaky.status, body: await sneaky.json(), headers: sneaky.headers }, 401, "unauthorized");
  });

  it("404 for an unknown route and an unknown run id", async () => {
    expectProblem(await s.api("GET", "/no/such/route"), 404, "not_found");
    const outside = await raw("/nothing-here");
    expect(outside.status).toBe(404);
    expect(outside.contentType).toMatch(/^application\/problem\+json/);
    const run = expectProblem(await s.api("GET", "/runs/run_doesnotexist"), 404, "not_found");
    expect(run.detail).toContain("run_doesnotexist");
    expectProblem(await s.api("GET", "/operations/run_doesnotexist/events"), 404, "not_found");
  });

  it("400 invalid_request for malformed JSON and for a body of the wrong shape", async () => {
    expectProblem(await s.api("POST", "/runs", "{not json"), 400, "invalid_request");
    expectProblem(await s.api("POST", "/runs", { workflow: 42 }), 400, "invalid_request");
    const extra = expectProblem(await s.api("POST", "/runs", { workflow: QUICK, surprise: true }), 400, "invalid_request");
    expect(JSON.stringify(extra)).toContain("surprise");
    expectProblem(await s.api("POST", "/workflows/validate", []), 400, "invalid_request");
    expectProblem(await s.api("GET", "/runs?limit=0"), 400, "invalid_request");
  });

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

  it("422 invalid_workflow lists problems with line, column and code", async () => {
    const typo = "name: bad\nsteps:\n  - id: a\n    run: echo a\n  - id: b\n    nedes: [a]\n    run: echo b\n";
    const p1 = expectProblem(await s.api("POST", "/runs", { workflow: typo, file: "typo.yaml" }), 422, "invalid_workflow");
    expect(p1.errors).toEqual([expect.objectContaining({ file: "typo.yaml", line: 6, column: 5, code: "unknown_field", message: expect.stringContaining("needs") })]);
    const cycle = "name: loop\nsteps:\n  - id: a\n    needs: [b]\n    run: echo a\n  - id: b\n    needs: [a]\n    run: echo b\n";
    const p2 = expectProblem(await s.api("POST", "/runs", { workflow: cycle }), 422, "invalid_workflow");
    expect(p2.errors).toEqual([expect.objectContaining({ line: expect.any(Number), column: expect.any(Number), code: "cycle" })]);
    expect(p2.errors[0].line).toBeGreaterThanOrEqual(4);
    expect((await s.api("GET", "/runs")).body.runs.map((r: { workflow: string }) => r.workflow)).not.toContain("loop");
  });

  it("422 invalid_inputs for an unknown input and a wrong type", async () => {
    const unknown = expectProblem(await s.api("POST", "/runs", { workflow: EXAMPLE, inputs: { whom: "x" } }), 422, "invalid_inputs");
    expect(unknown.errors).toEqual([expect.objectContaining({ input: "whom" })]);
    const wrongType = expectProblem(await s.api("POST", "/runs", { workflow: NUMBERED, inputs: { n: "seven" } }), 422, "invalid_inputs");
    expect(wrongType.errors).toEqual([expect.objectContaining({ input: "n", message: expect.stringContaining("number") })]);
    expect((await s.api("GET", "/runs")).body.runs.filter((r: { workflow: string }) => r.workflow === "numbered")).toEqual([]);
  });
});

describe("workflows and the API description", () => {
  it("validates a document", async () => {
    expect((await s.api("POST", "/workflows/validate", { workflow: EXAMPLE })).body).toMatchObject({ valid: true, errors: [] });
    const bad = await s.api("POST", "/workflows/validate", { workflow: "name: x\nsteps:\n  - id: a\n    run: echo\n    tiemout: 5s\n", file: "x.yaml" });
    expect(bad.status).toBe(200);
    expect(bad.body.valid).toBe(false);
    expect(bad.body.errors).toEqual([expect.objectContaining({ file: "x.yaml", line: 5, column: 5, code: "unknown_field", message: expect.stringContaining("tiemout") })]);
  });

  it("serves the workflow JSON Schema and the OpenAPI 3.1 document (without a token)", async () => {
    const schema = await s.api("GET", "/workflows/schema");
    expect(schema.status).toBe(200);
    expect(schema.body.$id).toMatch(/^https?:\/\//);
    const doc = await raw("/api/v1/openapi.json");
    expect(doc.status).toBe(200);
    const api = JSON.parse(doc.text);
    expect(api.openapi).toMatch(/^3\.1\./);
    for (const p of ["/runs", "/runs/{id}", "/runs/{id}/cancel", "/runs/{id}/rerun", "/operations/{id}/events", "/workspaces", "/workflows/validate"]) {
      expect(Object.keys(api.paths)).toContain(p);
    }
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

  it("creates workspaces with the admin token only, once per name", async () => {
    expect(a).toMatchObject({ id: expect.any(String), name: "team-a", token: expect.any(String) });
    expect(a.token).not.toBe(b.token);
    expectProblem(await s.api("POST", "/workspaces", { name: "team-a" }), 409, "workspace_exists");
    expectProblem(await s.api("POST", "/workspaces", { name: "team-c" }, a.token), 403, "forbidden");
    expectProblem(await s.api("POST", "/workspaces", { name: "bad name!" }), 400, "invalid_request");
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

  it("stores only a hash of each token", async () => {
    const client = new pg.Client({ connectionString: s.databaseUrl });
    await client.connect();
    try {
      const rows = (await client.query("select * from api_tokens")).rows;
      expect(rows.length).toBeGreaterThanOrEqual(3);
      const dump = JSON.stringify(rows);
      for (const token of [a.token, b.token, s.adminToken]) {
        expect(dump).not.toContain(token);
        expect(dump).not.toContain(token.replace(/^shp_/, ""));
      }
    } finally {
      await client.end();
    }
  });
});

describe("listing runs", () => {
  it("filters by status and pages with limit and before", async () => {
    const first = await runToEnd(s, QUICK);
    const failed = await runToEnd(s, "name: failing\nsteps:\n  - id: a\n    run: exit 1\n");
    const second = await runToEnd(s, QUICK);
    expect([first.status, failed.status, second.status]).toEqual(["succeeded", "failed", "succeeded"]);
    succeededHere.push(first.id, second.id);

    const page1 = await s.api("GET", "/runs?status=succeeded&limit=1");
    expect(page1.body.runs.map((r: { id: string }) => r.id)).toEqual([second.id]);
    const page2 = await s.api("GET", `/runs?status=succeeded&limit=1&before=${second.id}`);
    expect(page2.body.runs.map((r: { id: string }) => r.id)).toEqual([first.id]);
    const failedOnly = (await s.api("GET", "/runs?status=failed")).body.runs;
    expect(failedOnly.map((r: { id: string }) => r.id)).toEqual([failed.id]);
    const all = (await s.api("GET", "/runs?limit=500")).body.runs.map((r: { id: string }) => r.id);
    expect(all.indexOf(second.id)).toBeLessThan(all.indexOf(failed.id));
    expect(all.indexOf(failed.id)).toBeLessThan(all.indexOf(first.id));
    expectProblem(await s.api("GET", "/runs?status=weird"), 400, "invalid_request");
  });
});

describe("health, readiness and metrics", () => {
  it("answers /healthz and /readyz", async () => {
    expect((await raw("/healthz")).status).toBe(200);
    const ready = await raw("/readyz");
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ ready: true });
  });

  it("exports Prometheus metrics read from the database", async () => {
    expect(succeededHere.length).toBeGreaterThanOrEqual(3);
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
