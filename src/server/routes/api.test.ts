// The API's contract in memory (`app.request()`, no engine or runner): problem+json errors, validation, the
// OpenAPI document, workspaces, listing runs, health. What needs a real server and runner is in test/api.test.ts.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";
import { ensureAdminToken } from "../bootstrap.ts";

let t: InMemoryApp;
let admin: string;
beforeAll(async () => {
  t = await startInMemoryApp("api");
  admin = (await ensureAdminToken(t.pool, await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-api-")))).token;
});
afterAll(async () => {
  await t?.close();
});

const EXAMPLE = await fs.readFile(new URL("../../../examples/hello.yaml", import.meta.url), "utf8");
const QUICK = "name: quick\nsteps:\n  - id: a\n    run: echo quick\n";
const NUMBERED = "name: numbered\ninputs:\n  n: { type: number, required: true }\nsteps:\n  - id: a\n    run: echo ${{ inputs.n }}\n";
const as = (token: string) => ({ authorization: `Bearer ${token}` });

/** Assert an RFC 9457 problem with Shipyard's code; returns the parsed body. */
type Answer = Awaited<ReturnType<InMemoryApp["api"]>>;

function expectProblem(r: Answer, status: number, code: string): Answer["body"] {
  expect(r.status).toBe(status);
  expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(r.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  expect(r.body.type).toContain(code);
  return r.body;
}

/** A response of the app read as the api() helper reads it. */
async function read(res: Response): Promise<Answer> {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

describe("problem+json errors", () => {
  it("401 without a token and with a wrong token", async () => {
    expectProblem(await read(await t.request("/api/v1/runs")), 401, "unauthorized");
    expectProblem(await t.api("GET", "/runs", undefined, as("shp_not-a-real-token")), 401, "unauthorized");
    // Only /api/v1/openapi.json is public, not every path that happens to end like it.
    expectProblem(await read(await t.request("/api/v1/runs/openapi.json")), 401, "unauthorized");
  });

  it("404 for an unknown route and an unknown run id", async () => {
    expectProblem(await t.api("GET", "/no/such/route"), 404, "not_found");
    const outside = await t.request("/nothing-here");
    expect(outside.status).toBe(404);
    expect(outside.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(expectProblem(await t.api("GET", "/runs/run_doesnotexist"), 404, "not_found").detail).toContain("run_doesnotexist");
    expectProblem(await t.api("GET", "/operations/run_doesnotexist/events"), 404, "not_found");
  });

  it("400 invalid_request for malformed JSON and for a body of the wrong shape", async () => {
    expectProblem(await t.api("POST", "/runs", "{not json"), 400, "invalid_request");
    expectProblem(await t.api("POST", "/runs", { workflow: 42 }), 400, "invalid_request");
    expect(JSON.stringify(expectProblem(await t.api("POST", "/runs", { workflow: QUICK, surprise: true }), 400, "invalid_request"))).toContain("surprise");
    expectProblem(await t.api("POST", "/workflows/validate", []), 400, "invalid_request");
    expectProblem(await t.api("GET", "/runs?limit=0"), 400, "invalid_request");
  });

  it("422 invalid_workflow lists problems with line, column and code; nothing is started", async () => {
    const typo = "name: bad\nsteps:\n  - id: a\n    run: echo a\n  - id: b\n    nedes: [a]\n    run: echo b\n";
    const p1 = expectProblem(await t.api("POST", "/runs", { workflow: typo, file: "typo.yaml" }), 422, "invalid_workflow");
    expect(p1.errors).toEqual([expect.objectContaining({ file: "typo.yaml", line: 6, column: 5, code: "unknown_field", message: expect.stringContaining("needs") })]);
    const cycle = "name: loop\nsteps:\n  - id: a\n    needs: [b]\n    run: echo a\n  - id: b\n    needs: [a]\n    run: echo b\n";
    const p2 = expectProblem(await t.api("POST", "/runs", { workflow: cycle }), 422, "invalid_workflow");
    expect(p2.errors).toEqual([expect.objectContaining({ line: expect.any(Number), column: expect.any(Number), code: "cycle" })]);
    expect(p2.errors[0].line).toBeGreaterThanOrEqual(4);
    expect((await t.api("GET", "/runs")).body.runs.map((r: { workflow: string }) => r.workflow)).not.toContain("loop");
  });

  it("422 invalid_inputs for an unknown input and a wrong type", async () => {
    const unknown = expectProblem(await t.api("POST", "/runs", { workflow: EXAMPLE, inputs: { whom: "x" } }), 422, "invalid_inputs");
    expect(unknown.errors).toEqual([expect.objectContaining({ input: "whom" })]);
    const wrongType = expectProblem(await t.api("POST", "/runs", { workflow: NUMBERED, inputs: { n: "seven" } }), 422, "invalid_inputs");
    expect(wrongType.errors).toEqual([expect.objectContaining({ input: "n", message: expect.stringContaining("number") })]);
    expect((await t.api("GET", "/runs")).body.runs.filter((r: { workflow: string }) => r.workflow === "numbered")).toEqual([]);
    expect(t.workflows.calls).toEqual([]);
  });
});

describe("workflows and the API description", () => {
  it("validates a document", async () => {
    expect((await t.api("POST", "/workflows/validate", { workflow: EXAMPLE })).body).toMatchObject({ valid: true, errors: [] });
    const bad = await t.api("POST", "/workflows/validate", { workflow: "name: x\nsteps:\n  - id: a\n    run: echo\n    tiemout: 5s\n", file: "x.yaml" });
    expect(bad.status).toBe(200);
    expect(bad.body.valid).toBe(false);
    expect(bad.body.errors).toEqual([expect.objectContaining({ file: "x.yaml", line: 5, column: 5, code: "unknown_field", message: expect.stringContaining("tiemout") })]);
  });

  it("serves the workflow JSON Schema and the OpenAPI 3.1 document (without a token)", async () => {
    const schema = await t.api("GET", "/workflows/schema");
    expect(schema.status).toBe(200);
    expect(schema.body.$id).toMatch(/^https?:\/\//);
    const doc = await t.request("/api/v1/openapi.json");
    expect(doc.status).toBe(200);
    const api = (await doc.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(api.openapi).toMatch(/^3\.1\./);
    for (const p of ["/runs", "/runs/{id}", "/runs/{id}/cancel", "/runs/{id}/rerun", "/operations/{id}/events", "/operations/{id}/cancel", "/workspaces", "/workflows/validate"]) {
      expect(Object.keys(api.paths)).toContain(p);
    }
  });
});

describe("workspaces", () => {
  it("are created with the admin token only, once per name; only a hash of each token is stored", async () => {
    const a = await t.api("POST", "/workspaces", { name: "team-a" }, as(admin));
    const b = await t.api("POST", "/workspaces", { name: "team-b" }, as(admin));
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body).toMatchObject({ id: expect.any(String), name: "team-a", token: expect.any(String) });
    expect(a.body.token).not.toBe(b.body.token);
    expectProblem(await t.api("POST", "/workspaces", { name: "team-a" }, as(admin)), 409, "workspace_exists");
    expectProblem(await t.api("POST", "/workspaces", { name: "team-c" }, as(a.body.token)), 403, "forbidden");
    expectProblem(await t.api("POST", "/workspaces", { name: "bad name!" }, as(admin)), 400, "invalid_request");
    const dump = JSON.stringify((await t.pool.query("select * from api_tokens")).rows);
    for (const token of [a.body.token, b.body.token, admin, t.token]) {
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(token.replace(/^shp_/, ""));
    }
  });
});

describe("listing runs", () => {
  it("filters by status and pages with limit and before", async () => {
    const created: string[] = [];
    for (const wf of [QUICK, "name: failing\nsteps:\n  - id: a\n    run: exit 1\n", QUICK]) {
      const r = await t.api("POST", "/runs", { workflow: wf });
      expect(r.status).toBe(201);
      created.push(r.body.id);
    }
    const [first, failed, second] = created as [string, string, string];
    // Each was enqueued once, by its id; no engine runs them here, so they are settled by hand.
    expect(t.workflows.calls.filter((c) => c.op === "start").map((c) => c.op === "start" && c.options.workflowId)).toEqual(created);
    await t.pool.query("update operations set status = case when id = $1 then 'failed' else 'succeeded' end where id = any($2)", [failed, created]);

    const page1 = await t.api("GET", "/runs?status=succeeded&limit=1");
    expect(page1.body.runs.map((r: { id: string }) => r.id)).toEqual([second]);
    const page2 = await t.api("GET", `/runs?status=succeeded&limit=1&before=${second}`);
    expect(page2.body.runs.map((r: { id: string }) => r.id)).toEqual([first]);
    expect((await t.api("GET", "/runs?status=failed")).body.runs.map((r: { id: string }) => r.id)).toEqual([failed]);
    const all = (await t.api("GET", "/runs?limit=500")).body.runs.map((r: { id: string }) => r.id);
    expect(all.indexOf(second)).toBeLessThan(all.indexOf(failed));
    expect(all.indexOf(failed)).toBeLessThan(all.indexOf(first));
    expectProblem(await t.api("GET", "/runs?status=weird"), 400, "invalid_request");
  });
});

describe("health and readiness", () => {
  it("answers /healthz and /readyz", async () => {
    expect((await t.request("/healthz")).status).toBe(200);
    const ready = await t.request("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
  });
});
