import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../test/helpers/in-memory-app.ts";
import { AGENT_USAGE_PATH } from "./routes/model-calls.ts";

let t: InMemoryApp;
beforeAll(async () => {
  t = await startInMemoryApp("wellformed");
});
afterAll(async () => {
  await t?.close();
});

const QUICK = "name: quick\ninputs:\n  who: { type: string }\nsteps:\n  - id: a\n    run: echo ${{ inputs.who }}\n";

function expectProblem(r: { status: number; body: { code?: string }; headers: Headers }, status: number, code: string): void {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(r.body.code).toBe(code);
}

const count = async (table: string) => Number((await t.pool.query(`select count(*)::int as n from ${table}`)).rows[0].n);

describe("ill-formed text at the API boundary", () => {
  it("refuses a NUL in an id of every kind of route with 400 invalid_text (it used to reach PostgreSQL: 500)", async () => {
    for (const route of ["/runs/run_a%00b", "/projects/prj%00", "/jobs/job_%00x", "/operations/op%00/events", "/operations/op%00", "/secrets/%00"]) {
      const method = route.startsWith("/secrets") ? "DELETE" : "GET";
      const r = await t.api(method, route);
      expectProblem(r, 400, "invalid_text");
      expect(r.body).toMatchObject({ detail: "the request path contains a NUL character (U+0000)" });
    }
    expectProblem(await t.api("POST", "/runs/run_%00/cancel"), 400, "invalid_text");
  });

  it("refuses NUL, percent-encoded surrogates and bytes that are not UTF-8 in query parameters", async () => {
    for (const query of ["before=run_%00", "before=%ED%A0%80", "before=%FF", "status=%00running", "x%00=1", "before=100%"]) {
      expectProblem(await t.api("GET", `/runs?${query}`), 400, "invalid_text");
    }
    expectProblem(await t.api("GET", "/operations/op_x/events?since=%ED%B0%80"), 400, "invalid_text");
    // Well-formed text, encoded or not, is still fine (a surrogate pair is one character: U+1F600).
    expect((await t.api("GET", "/runs?before=run_%F0%9F%98%80&limit=5")).status).toBe(200);
    expect((await t.api("GET", "/runs?before=run+x")).status).toBe(200);
  });

  it("refuses NUL and unpaired surrogates in JSON bodies, values and keys, and stores nothing", async () => {
    const run = await t.api("POST", "/runs", { workflow: QUICK, inputs: { who: "a\u0000b" } });
    expectProblem(run, 400, "invalid_text");
    expect(run.body.detail).toBe("body.inputs.who contains a NUL character (U+0000)");
    expectProblem(await t.api("POST", "/runs", { workflow: QUICK, inputs: { who: "x\ud800" } }), 400, "invalid_text");
    expectProblem(await t.api("POST", "/runs", { workflow: QUICK, inputs: { "w\u0000ho": "x" } }), 400, "invalid_text");
    expect(await count("runs")).toBe(0);

    // The project's github owner went to jsonb unchecked (500), and its credentials were stored before that.
    const project = await t.api("POST", "/projects", { name: "p", repo: "https://example.com/r.git", credentials: "tok", github: { owner: "o\u0000", repo: "r" } });
    expectProblem(project, 400, "invalid_text");
    expect(await count("projects")).toBe(0);
    expect(await t.secrets.listNames(t.workspaceId)).toEqual([]);

    // A secret with an unpaired surrogate was stored as U+FFFD: not the value given.
    expectProblem(await t.api("PUT", "/secrets/API_KEY", { value: "key\udfff" }), 400, "invalid_text");
    expect(await t.secrets.listNames(t.workspaceId)).toEqual([]);
    expect((await t.api("PUT", "/secrets/API_KEY", { value: "key 😀" })).status).toBe(204);
    expect(await t.secrets.get(t.workspaceId, "API_KEY")).toBe("key 😀");

    expectProblem(await t.api("PUT", "/settings", { defaultModel: null, "\ud800": 1 }), 400, "invalid_text");
    expectProblem(await t.api("POST", "/jobs", { projectId: "prj_\u0000", prompt: "p", executor: { type: "command", command: "true" } }), 400, "invalid_text");
    expect(await count("jobs")).toBe(0);
  });

  it("refuses a __proto__ key (a schema's record would drop it silently) and absurdly nested bodies", async () => {
    const proto = await t.api("POST", "/runs", `{"workflow": ${JSON.stringify(QUICK)}, "inputs": {"__proto__": "x"}}`);
    expectProblem(proto, 400, "invalid_request");
    expect(proto.body.detail).toContain("__proto__");
    const deep = await t.api("POST", "/runs", `{"workflow": ${JSON.stringify(QUICK)}, "inputs": ${"[".repeat(10_000)}${"]".repeat(10_000)}}`);
    expectProblem(deep, 400, "invalid_request");
    expect(deep.body.detail).toMatch(/nested more than 32 levels/);
    expect(await count("runs")).toBe(0);
  });

  it("leaves bodies that are not JSON to the route's own validation", async () => {
    expectProblem(await t.api("POST", "/runs", "{not json"), 400, "invalid_request");
  });
});

describe("the task-token endpoints", () => {
  it("refuse a NUL in a reported model name with 400 instead of failing in the usage ledger", async () => {
    await t.pool.query("insert into operations (id, workspace_id, kind, status, title) values ('job_usage', $1, 'job', 'running', 'j')", [t.workspaceId]);
    await t.pool.query(
      `insert into tasks (id, operation_id, step_id, attempt, workspace_id, workflow_id, spec, status, dispatch)
       values ('job_usage:agent:1', 'job_usage', 'agent', 1, $1, 'job_usage:1', $2, 'assigned', 1)`,
      [t.workspaceId, JSON.stringify({ command: "claude", env: {}, modelAccess: { model: "anthropic:claude-sonnet-4-5" } })],
    );
    const token = t.taskTokens.mint("job_usage:agent:1", 1);
    const report = (model: string) =>
      t.request(AGENT_USAGE_PATH, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ model, inputTokens: 1, outputTokens: 1, costUsd: 0.01 }),
      });
    for (const bad of ["claude\u0000", "claude\ud800"]) {
      const r = await report(bad);
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ code: "invalid_request" });
    }
    expect(await count("model_usage")).toBe(0);
    expect((await report("claude-sonnet-4-5")).status).toBe(200);
  });
});
