// GET /operations/{id} and POST /operations/{id}/cancel go through the operation-kind registry: each kind's own
// view comes along, and each kind cancels its way. In memory, without the engine: a queued job and a pending run
// are cancelled on the spot.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";
import { insertRun } from "../../runs/store.ts";
import { parseWorkflow } from "../../workflows/index.ts";

let t: InMemoryApp;
let projectId: string;
beforeAll(async () => {
  t = await startInMemoryApp("operations");
  const project = await t.api("POST", "/projects", { name: "p", repo: "https://example.com/p.git" });
  expect(project.status, JSON.stringify(project.body)).toBe(201);
  projectId = project.body.id;
});
afterAll(async () => {
  await t?.close();
});

/** A pending run stored as createRun stores it, without enqueueing its workflow (there is no engine here). */
async function pendingRun(id: string): Promise<void> {
  const parsed = parseWorkflow("name: two\nsteps:\n  - id: a\n    run: echo a\n  - id: b\n    run: echo b\n", "w.yaml");
  if (!parsed.ok) throw new Error("bad fixture");
  await insertRun(t.pool, {
    id,
    workspaceId: t.workspaceId,
    def: parsed.workflow,
    source: "name: two",
    inputs: {},
    concurrencyKey: null,
    rerunOf: null,
    steps: [{ id: "a", phase: "main" }, { id: "b", phase: "main" }],
    events: [{ type: "status", payload: { status: "pending" }, dedupeKey: "status:pending" }],
  });
}

describe("GET /operations/{id}", () => {
  it("carries the kind's own view: a run with its steps, a job with its queue", async () => {
    await pendingRun("run_view");
    const run = await t.api("GET", "/operations/run_view");
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ id: "run_view", kind: "workflow", status: "pending", detail: { id: "run_view", workflow: "two", steps: [{ id: "a" }, { id: "b" }] } });

    const job = await t.api("POST", "/jobs", { projectId, prompt: "do it", executor: { type: "command", command: "true" } });
    expect(job.status, JSON.stringify(job.body)).toBe(201);
    const op = await t.api("GET", `/operations/${job.body.id}`);
    expect(op.body).toMatchObject({ kind: "job", status: "pending", detail: { id: job.body.id, status: "queued", queue: "backlog", position: 1 } });
  });
});

describe("POST /operations/{id}/cancel", () => {
  it("cancels a queued job as POST /jobs/{id}/cancel does, then answers 409", async () => {
    const job = await t.api("POST", "/jobs", { projectId, prompt: "cancel me", executor: { type: "command", command: "true" } });
    const r = await t.api("POST", `/operations/${job.body.id}/cancel`);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body).toMatchObject({ kind: "job", status: "cancelled", error: "cancelled while queued", detail: { status: "cancelled", position: null } });
    const again = await t.api("POST", `/operations/${job.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("job_finished");
  });

  it("cancels a pending run as POST /runs/{id}/cancel does: its steps and events say so", async () => {
    await pendingRun("run_cancel");
    const r = await t.api("POST", "/operations/run_cancel/cancel");
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body).toMatchObject({ kind: "workflow", status: "cancelled", detail: { status: "cancelled", steps: [{ status: "cancelled" }, { status: "cancelled" }] } });
    const events = await t.api("GET", "/operations/run_cancel/events", undefined, { accept: "application/json" });
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual(["status", "status", "complete"]);
    expect((await t.api("POST", "/operations/run_cancel/cancel")).body.code).toBe("run_finished");
  });

  it("answers 404 for an operation of another workspace or none, changing nothing", async () => {
    await t.pool.query("insert into workspaces (id, name) values ('ws_other', 'other')");
    await t.pool.query("insert into operations (id, workspace_id, kind, status, title) values ('job_elsewhere', 'ws_other', 'job', 'pending', 't')");
    for (const id of ["job_elsewhere", "run_none"]) {
      const r = await t.api("POST", `/operations/${id}/cancel`);
      expect(r.status).toBe(404);
      expect(r.body.code).toBe("not_found");
    }
    expect((await t.pool.query("select status from operations where id = 'job_elsewhere'")).rows[0].status).toBe("pending");
  });
});
