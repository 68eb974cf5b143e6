import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";

let t: InMemoryApp;
beforeAll(async () => {
  t = await startInMemoryApp("badinput");
});
afterAll(async () => {
  await t?.close();
});

const runs = async () => Number((await t.pool.query("select count(*)::int as n from runs")).rows[0].n);

/** A document whose aliases expand tenfold per level: a few hundred bytes that would expand to 10^7 values. */
function billionLaughs(): string {
  let text = "name: bomb\nsteps: [{ id: a, run: echo }]\ndescription: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  ["concurrency", "outputs", "inputs", "teardown", "x1", "x2"].forEach((key, i) => {
    text += `${key}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(", ")}]\n`;
  });
  return text;
}

describe("POST /runs with a workflow that abuses the language", () => {
  it("answers an alias bomb with 422 invalid_workflow naming the limit and the line (it was an uncaught 500)", async () => {
    const r = await t.api("POST", "/runs", { workflow: billionLaughs() });
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body.code).toBe("invalid_workflow");
    expect(r.body.errors).toEqual([expect.objectContaining({ code: "too_many_aliases", line: 6, message: expect.stringContaining("more than 10000 values (the limit)") })]);
    const validated = await t.api("POST", "/workflows/validate", { workflow: billionLaughs() });
    expect(validated.status).toBe(200);
    expect(validated.body).toMatchObject({ valid: false, errors: [{ code: "too_many_aliases" }] });
    expect(await runs()).toBe(0);
  });

  it("answers deep nesting, over-long ids, escaping working directories and __proto__ inputs with 422, storing nothing", async () => {
    const cases: [string, string][] = [
      [`name: x\nsteps:\n  - id: a\n    run: echo \${{ ${"(".repeat(5000)}1${")".repeat(5000)} }}\n`, "bad_expression"],
      [`name: x\nsteps:\n  - id: ${"s".repeat(5000)}\n    run: echo\n`, "bad_value"],
      ["name: x\nsteps:\n  - id: a\n    run: pwd\n    working-directory: ../../../../etc\n", "bad_value"],
      ["name: x\ninputs:\n  __proto__: { type: string }\nsteps: [{ id: a, run: echo }]\n", "bad_value"],
      [`name: x\nsteps:\n  - id: a\n    run: echo\n    env: ${"[".repeat(200)}${"]".repeat(200)}\n`, "too_deep"],
    ];
    for (const [workflow, code] of cases) {
      const r = await t.api("POST", "/runs", { workflow });
      expect(r.status, workflow.slice(0, 80)).toBe(422);
      expect(r.body.code).toBe("invalid_workflow");
      expect(r.body.errors.map((e: { code: string }) => e.code)).toEqual([code]);
      expect(r.body.errors[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
    }
    expect(await runs()).toBe(0);
  });
});

describe("POST /runs with inputs the workflow's expressions cannot use", () => {
  it("answers a concurrency key that cannot be computed, or holds a NUL, with 422 invalid_inputs (it was a 500)", async () => {
    const workflow = "name: keyed\ninputs:\n  j: { type: string }\nconcurrency: k-${{ fromJSON(inputs.j) }}\nsteps: [{ id: a, run: echo }]\n";
    for (const j of ["not json", '"\\u0000"', '"\\ud800"']) {
      const r = await t.api("POST", "/runs", { workflow, inputs: { j } });
      expect(r.status, j).toBe(422);
      expect(r.body.code).toBe("invalid_inputs");
      expect(r.body.detail).toMatch(/^concurrency: /);
    }
    expect(await runs()).toBe(0);
  });
});

describe("numbers and strings that reached PostgreSQL unchecked", () => {
  it("refuses a Last-Event-ID too large to be a sequence number (it reached PostgreSQL as 1e+23: 500)", async () => {
    await t.pool.query("insert into operations (id, workspace_id, kind, status, title) values ('op_seq', $1, 'run', 'succeeded', 't')", [t.workspaceId]);
    const r = await t.api("GET", "/operations/op_seq/events", undefined, { accept: "application/json", "last-event-id": "99999999999999999999999" });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("invalid_request");
    const ok = await t.api("GET", "/operations/op_seq/events", undefined, { accept: "application/json", "last-event-id": "999999999999999" });
    expect(ok.status).toBe(200);
  });

  it("bounds a project's GitHub owner and repository names", async () => {
    const r = await t.api("POST", "/projects", { name: "gh", repo: "https://example.com/r.git", github: { owner: "o".repeat(100_000), repo: "r" } });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("invalid_request");
    expect((await t.api("GET", "/projects")).body.projects).toEqual([]);
  });
});
