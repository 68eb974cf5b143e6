// Faults that must not stall or lose work, and bad models that must not take the server down: a local runner
// killed mid-step, a cancel of a wide run, a workflow DBOS gave up on, a model with no key.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goneWithin, pidsWith, uniqueSleep } from "./helpers/liveness.ts";
import { operationEvents, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
let db: pg.Client;

beforeAll(async () => {
  s = await startTestShipyard({ env: { SHIPYARD_RUNNER_SLOTS: "4" } });
  db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await s?.stop();
});

const runOf = async (id: string) => (await s.api("GET", `/runs/${id}`)).body;
const finished = (id: string, timeoutMs = 30_000) =>
  waitFor(async () => {
    const r = await runOf(id);
    return ["succeeded", "failed", "cancelled"].includes(r.status) ? r : null;
  }, timeoutMs, `run ${id} to finish`);
async function start(workflow: string): Promise<string> {
  const created = await s.api("POST", "/runs", { workflow });
  expect(created.status).toBe(201);
  return created.body.id;
}
const sleeping = (marker: string) => waitFor(async () => {
  const pids = await pidsWith(`sleep\0${marker}`);
  return pids.length > 0 && pids;
}, 20_000, `a step sleeping ${marker}`);
const assignedTasks = async (runId: string) => Number((await db.query("select count(*) from tasks where operation_id = $1 and status = 'assigned'", [runId])).rows[0].count);

describe("a local runner killed mid-step", () => {
  it("is started again, and the step it lost runs again as a new attempt, said so in its events", async () => {
    const first = s.runner!;
    const marker = uniqueSleep();
    const id = await start(`name: lost\nsteps:\n  - id: slow\n    run: |\n      if [ -e ran-once ]; then echo second; exit 0; fi\n      touch ran-once\n      sleep ${marker}\n`);
    await sleeping(marker);
    first.kill("SIGKILL");
    const run = await finished(id, 60_000);
    expect(run.status).toBe("succeeded");
    expect(run.steps[0]).toMatchObject({ status: "succeeded", attempt: 2 });
    expect(s.runner?.pid).toBeDefined();
    expect(s.runner!.pid).not.toBe(first.pid);
    const events = await operationEvents(s, id);
    const lost = events.find((e) => e.type === "step" && e.payload.status === "lost");
    expect(lost?.payload).toMatchObject({ stepId: "slow", attempt: 1, nextAttempt: 2, reason: expect.stringContaining("runner lost") });
    const lines = events.filter((e) => e.type === "log" && e.payload.stepId === "slow").map((e) => [e.payload.attempt, e.payload.line]);
    expect(lines).toContainEqual([2, "second"]);
    expect((await s.api("GET", "/runners")).body.runners.find((r: any) => r.name === "local")).toMatchObject({ status: "online", activeTasks: 0 });
  });
});

describe("cancel of a wide run", () => {
  it("starts no queued step after the request, kills the running ones and ends cancelled", async () => {
    const width = 300;
    const marker = uniqueSleep();
    const steps = Array.from({ length: width }, (_, i) => `  - id: s${i}\n    run: sleep ${marker}\n`).join("");
    const id = await start(`name: wide\nsteps:\n${steps}teardown:\n  - id: bye\n    run: echo bye\n`);
    await waitFor(async () => (await pidsWith(`sleep\0${marker}`)).length >= 4, 30_000, "the first steps to run");
    const pids = await pidsWith(`sleep\0${marker}`);
    const cancel = await s.api("POST", `/runs/${id}/cancel`);
    expect(cancel.status).toBe(202);
    const run = await finished(id, 20_000);
    expect(run.status).toBe("cancelled");
    for (const pid of pids) expect(await goneWithin(pid, 5_000)).toBe(true);
    const byId = Object.fromEntries(run.steps.map((x: any) => [x.id, x.status]));
    expect(byId.bye).toBe("succeeded");
    const main = run.steps.filter((x: any) => x.id !== "bye");
    expect(main.every((x: any) => x.status === "cancelled")).toBe(true);
    // Only the steps that were running when the request came ever ran.
    const events = await operationEvents(s, id);
    const ran = new Set(events.filter((e) => e.type === "step" && e.payload.status === "running" && e.payload.stepId !== "bye").map((e) => e.payload.stepId));
    expect(ran.size).toBeLessThanOrEqual(pids.length);
    expect(await assignedTasks(id)).toBe(0);
  });
});

describe("a run whose workflow DBOS gave up on", () => {
  const giveUp = (id: string) =>
    db.query("update dbos.workflow_status set status = 'MAX_RECOVERY_ATTEMPTS_EXCEEDED', recovery_attempts = 11 where workflow_uuid = $1", [id]);

  it("is ended by the sweep, once, with the reason; its running step is killed and its runner slot freed", async () => {
    const marker = uniqueSleep();
    const id = await start(`name: doomed\nsteps:\n  - id: hang\n    run: sleep ${marker}\n`);
    const [pid] = await sleeping(marker);
    await giveUp(id);
    const run = await finished(id, 20_000);
    expect(run.status).toBe("failed");
    expect(run.error).toContain("gave up after 11 recovery attempts");
    expect(run.steps[0].status).toBe("cancelled");
    expect(await goneWithin(pid!, 5_000)).toBe(true);
    expect(await assignedTasks(id)).toBe(0);
    const events = await operationEvents(s, id);
    expect(events.filter((e) => e.type === "complete")).toHaveLength(1);
  });

  it("can still be cancelled, at once", async () => {
    const marker = uniqueSleep();
    const id = await start(`name: doomed\nsteps:\n  - id: hang\n    run: sleep ${marker}\n`);
    const [pid] = await sleeping(marker);
    await giveUp(id);
    const cancel = await s.api("POST", `/runs/${id}/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.body.status).toBe("cancelled");
    expect(await goneWithin(pid!, 5_000)).toBe(true);
    expect(await assignedTasks(id)).toBe(0);
  });
});

describe("a model without an API key", () => {
  it("is refused when the run or the job is submitted, naming the secret to set", async () => {
    const llm = await s.api("POST", "/runs", { workflow: "name: x\nsteps:\n  - id: ask\n    llm: { model: anthropic:claude-sonnet-4-5, prompt: hi }\n" });
    expect(llm.status).toBe(422);
    expect(llm.body).toMatchObject({ code: "missing_api_key", errors: { secret: "ANTHROPIC_API_KEY" } });
    expect(llm.body.detail).toContain("shipyard secrets set ANTHROPIC_API_KEY");
    const agent = await s.api("POST", "/runs", { workflow: "name: x\nsteps:\n  - id: fix\n    agent: { model: openai:gpt-4.1, prompt: fix it }\n" });
    expect(agent.body).toMatchObject({ code: "missing_api_key", errors: { secret: "OPENAI_API_KEY" } });
    // The workspace's default model counts for steps that name none.
    await s.api("PUT", "/settings", { defaultModel: "openai:gpt-4.1" });
    const byDefault = await s.api("POST", "/runs", { workflow: "name: x\nsteps:\n  - id: ask\n    llm: { prompt: hi }\n" });
    expect(byDefault.body).toMatchObject({ code: "missing_api_key", errors: { secret: "OPENAI_API_KEY" } });
    await s.api("PUT", "/settings", { defaultModel: null });
    const project = await s.api("POST", "/projects", { name: "keyless", repo: "/nonexistent/repo" });
    const job = await s.api("POST", "/jobs", { projectId: project.body.id, prompt: "fix", executor: { type: "builtin", model: "anthropic:claude-sonnet-4-5" } });
    expect(job.status).toBe(422);
    expect(job.body.code).toBe("missing_api_key");
    expect((await s.api("GET", "/jobs")).body.jobs).toEqual([]);
  });

  it("when its key goes away after submission, fails its step with that message; the server carries on", async () => {
    expect((await s.api("PUT", "/secrets/ANTHROPIC_API_KEY", { value: "sk-ant-test" })).status).toBe(204);
    const id = await start(
      "name: later\nsteps:\n  - id: wait\n    run: sleep 1\n  - id: fix\n    needs: wait\n    agent: { model: anthropic:claude-sonnet-4-5, prompt: fix it, max_turns: 2 }\n  - id: ask\n    needs: wait\n    llm: { model: anthropic:claude-sonnet-4-5, prompt: hi }\n",
    );
    expect((await s.api("DELETE", "/secrets/ANTHROPIC_API_KEY")).status).toBe(204);
    const run = await finished(id, 60_000);
    expect(run.status).toBe("failed");
    const byId = Object.fromEntries(run.steps.map((x: any) => [x.id, x]));
    expect(byId.ask.error).toContain("no API key for anthropic");
    expect(byId.fix).toMatchObject({ status: "failed", error: expect.stringContaining("no API key for anthropic") });
    expect((await s.api("GET", "/runners")).body.runners.find((r: any) => r.name === "local")).toMatchObject({ activeTasks: 0 });
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
  });
});
