// API trees end to end on a real Shipyard: http steps calling its own API with the run's short-lived token,
// wait steps on operations that succeed, fail, outlast the timeout or are still running when the run is
// cancelled, and the shipped example tree (a template project, a build on the demo cassette, its preview).
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "../src/db/pool.ts";
import { operationEvents, runToEnd, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
beforeAll(async () => {
  s = await startTestShipyard({ env: { SHIPYARD_PREVIEW_PORT: "0" } });
});
afterAll(async () => {
  await s?.stop();
});

const steps = (run: { steps: { id: string }[] }) => Object.fromEntries(run.steps.map((st) => [st.id, st])) as Record<string, any>;

describe("the example tree", () => {
  it("template-to-preview: creates a project, builds it on the demo cassette, waits and checks the published page", async () => {
    const source = readFileSync("examples/trees/template-to-preview.yaml", "utf8");
    const run = await runToEnd(s, source, { project: "tree-bakery" }, 240_000);
    const byId = steps(run);
    expect(run.status, JSON.stringify(run.steps, null, 1)).toBe("succeeded");
    const project = await s.api("GET", `/projects/${run.outputs.project_id}`);
    expect(project.body).toMatchObject({ name: "tree-bakery" });
    const build = await s.api("GET", `/builds/${run.outputs.build_id}`);
    expect(build.body).toMatchObject({ status: "succeeded", projectId: run.outputs.project_id });
    expect(byId.built.outputs).toMatchObject({ status: "succeeded", preview_url: build.body.previewUrl });
    expect(byId.page.outputs.status).toBe("200");
    expect(byId.page.outputs.body).toContain("Slow-proofed bread");
    // The token never reaches the run's record.
    const events = JSON.stringify(await operationEvents(s, run.id));
    expect(events).not.toMatch(/sya_|Bearer/);
  }, 300_000);
});

/** A run of `workflow` started with `token` (the admin's by default); returns its id. */
async function start(workflow: string, inputs: Record<string, unknown> = {}, token?: string): Promise<string> {
  const created = await s.api("POST", "/runs", { workflow, inputs }, token);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

async function runEnded(id: string, token?: string): Promise<any> {
  return waitFor(async () => {
    const r = await s.api("GET", `/runs/${id}`, undefined, token);
    return ["succeeded", "failed", "cancelled"].includes(r.body.status) ? r.body : null;
  }, 60_000, `run ${id} to end`);
}

/** A run whose one step ends as told: after `seconds`, with exit code `code`. */
const target = (seconds: number, code: number) => `name: target\nsteps:\n  - id: work\n    run: sleep ${seconds}; exit ${code}\n`;

const WAITER = `
name: waiter
inputs:
  op: { type: string }
steps:
  - id: done
    wait:
      operation: \${{ inputs.op }}
      timeout: 2m
  - id: after
    needs: done
    run: echo "it ended \${{ steps.done.outputs.status }}"
outputs:
  status: \${{ steps.done.outputs.status }}
`;

const waiterWith = (timeout: string) => WAITER.replace("timeout: 2m", `timeout: ${timeout}`);

describe("wait steps", () => {
  it("succeed when the operation succeeds, with its status as output; the wait runs on the server, not on a runner", async () => {
    const op = await start(target(1, 0));
    const id = await start(WAITER, { op });
    const run = await runEnded(id);
    expect(run.status, JSON.stringify(run.steps)).toBe("succeeded");
    expect(run.outputs).toEqual({ status: "succeeded" });
    expect(steps(run).done.outputs).toMatchObject({ status: "succeeded", error: "" });
    const running = (await operationEvents(s, id)).find((e) => e.type === "step" && e.payload.stepId === "done" && e.payload.status === "running");
    expect(running.payload.runner).toBe("server");
  });

  it("fail when the operation fails, saying how it ended", async () => {
    const op = await start(target(0, 3));
    const run = await runEnded(await start(WAITER, { op }));
    expect(run.status).toBe("failed");
    expect(steps(run).done).toMatchObject({ status: "failed", error: expect.stringContaining(`workflow ${op} failed`) });
    expect(steps(run).after.status).toBe("skipped");
  });

  it("fail when the operation was cancelled", async () => {
    const op = await start(target(60, 0));
    expect((await s.api("POST", `/runs/${op}/cancel`)).status).toBe(202);
    const run = await runEnded(await start(WAITER, { op }));
    expect(steps(run).done).toMatchObject({ status: "failed", error: expect.stringContaining(`workflow ${op} cancelled`) });
  });

  it("fail when the operation outlasts the timeout", async () => {
    const op = await start(target(60, 0));
    const run = await runEnded(await start(waiterWith("1s"), { op }));
    expect(run.status).toBe("failed");
    expect(steps(run).done.error).toContain(`operation ${op} did not end within 1000 ms`);
    expect((await s.api("POST", `/runs/${op}/cancel`)).status).toBe(202);
  });

  it("fail at once for an operation that does not exist in the workspace", async () => {
    const run = await runEnded(await start(WAITER, { op: "run_doesnotexist" }));
    expect(steps(run).done.error).toContain("operation run_doesnotexist does not exist in this workspace");
  });

  it("a cancel of the run ends the wait: the step is cancelled and its workflow ends", async () => {
    const op = await start(target(60, 0));
    const id = await start(WAITER, { op });
    const pool = createPool(s.databaseUrl, 1);
    const looks = (taskId: string) =>
      pool.query("select count(*)::int as n from dbos.operation_outputs where workflow_uuid = $1 and function_name = 'wait:look'", [taskId]).then((r) => r.rows[0].n as number);
    try {
      // The wait's own workflow has looked at the operation at least once: it is waiting.
      const taskId = await waitFor(async () => {
        const row = (await pool.query<{ id: string }>("select id from tasks where operation_id = $1 and step_id = 'done'", [id])).rows[0];
        return row && (await looks(row.id)) > 0 ? row.id : null;
      }, 30_000, "the wait to start looking");
      expect((await s.api("POST", `/runs/${id}/cancel`)).status).toBe(202);
      const run = await runEnded(id);
      expect(run.status).toBe("cancelled");
      expect(steps(run).done.status).toBe("cancelled");
      await waitFor(async () => (await pool.query("select status from dbos.workflow_status where workflow_uuid = $1", [taskId])).rows[0]?.status === "SUCCESS", 20_000, "the wait's workflow to end");
      // It ended for the cancel: the operation it waited for is still running.
      expect((await s.api("GET", `/runs/${op}`)).body.status).toBe("running");
    } finally {
      await pool.end();
    }
    await s.api("POST", `/runs/${op}/cancel`);
  });
});

const LIST_AND_CREATE = `
name: scoped
steps:
  - id: list
    http: { url: /projects, outputs: { projects: $.projects } }
  - id: create
    needs: list
    http:
      method: POST
      url: /projects
      body: { name: member-made, template: static }
`;

describe("http steps on Shipyard's own API", () => {
  it("call with the role of whoever started the run: a member's run may read but not create a project (owner only)", async () => {
    const member = await s.api("POST", "/tokens", { name: "member", role: "member" });
    expect(member.status).toBe(201);
    const run = await runEnded(await start(LIST_AND_CREATE, {}, member.body.token));
    expect(steps(run).list.status).toBe("succeeded");
    expect(steps(run).create).toMatchObject({ status: "failed", error: expect.stringContaining("answered 403: POST /projects needs the owner role") });
    expect((await s.api("GET", "/projects")).body.projects.some((p: { name: string }) => p.name === "member-made")).toBe(false);
  });

  it("call within the run's workspace: another workspace's project is not found", async () => {
    const mine = await s.api("POST", "/projects", { name: "admins-own", template: "static" });
    expect(mine.status).toBe(201);
    const other = await s.api("POST", "/workspaces", { name: "tree-other" });
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    const workflow = `name: peek\nsteps:\n  - id: peek\n    http: { url: /projects/${mine.body.id}, outputs: { name: $.name } }\n`;
    const run = await runEnded(await start(workflow, {}, other.body.token), other.body.token);
    expect(steps(run).peek).toMatchObject({ status: "failed", error: expect.stringContaining("answered 404") });
  });

  it("refuses a URL on a private address under the default URL rules, and changes nothing", async () => {
    const workflow = "name: private\nsteps:\n  - id: call\n    http: { url: 'https://127.0.0.1:9/x' }\n";
    const run = await runEnded(await start(workflow));
    expect(steps(run).call).toMatchObject({ status: "failed", error: expect.stringContaining("127.0.0.1 is a loopback address") });
  });
});
