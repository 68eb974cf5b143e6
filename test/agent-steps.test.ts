// `agent:` workflow steps end to end: the built-in agent runs on the local runner in the run's workspace and calls
// its model through the server (task token), which calls a fake OpenAI-compatible API priced as gpt-4.1
// ($2 in, $8 out per million tokens), records every call and enforces the step's budget_usd.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startFakeOpenAI, type FakeOpenAI, type FakeRequest } from "../src/agents/llm/fake-openai.ts";
import { loadOrCreateKey } from "../src/secrets/box.ts";
import { TaskTokens } from "../src/server/task-tokens.ts";
import { operationEvents, runToEnd, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
let fake: FakeOpenAI;
let db: pg.Client;

/** The fake model: lists the files first, then answers; a prompt with "EXPENSIVE" only ever lists, at a high price. */
function reply(body: FakeRequest["body"]) {
  const text = JSON.stringify(body.messages);
  const listed = body.messages.some((m) => m.role === "tool");
  if (text.includes("EXPENSIVE")) {
    return { toolCalls: [{ id: `call_${body.messages.length}`, name: "list_files", arguments: JSON.stringify({ path: `p${body.messages.length}` }) }], usage: { prompt_tokens: 1000, completion_tokens: 500 } };
  }
  if (!listed) return { toolCalls: [{ id: "call_ls", name: "list_files", arguments: "{}" }], usage: { prompt_tokens: 100, completion_tokens: 10 } };
  return { text: "The workspace holds notes.txt.", usage: { prompt_tokens: 200, completion_tokens: 20 } };
}

// A stub `claude` on the runner's PATH: prints its arguments on stderr and a result that cost $0.002.
const stubBin = mkdtempSync(path.join(os.tmpdir(), "shipyard-stub-claude-"));
writeFileSync(
  path.join(stubBin, "claude"),
  `#!/usr/bin/env bash
echo "claude args: $*" >&2
cat > /dev/null
echo '{"type":"system","subtype":"init","model":"claude-sonnet-4-5","tools":[]}'
echo '{"type":"result","subtype":"success","is_error":false,"result":"done","num_turns":1,"total_cost_usd":0.002,"usage":{"input_tokens":10,"output_tokens":5}}'
`,
  { mode: 0o755 },
);
const savedPath = process.env.PATH;
chmodSync(stubBin, 0o755); // the sandboxed steps' user must reach it on the PATH

beforeAll(async () => {
  // The local runner inherits this PATH and gives it to its steps.
  process.env.PATH = `${stubBin}${path.delimiter}${savedPath}`;
  fake = await startFakeOpenAI(reply);
  // The server (in this process) resolves the agent's model; the runner process never sees this variable.
  process.env.AGENTFAKE_BASE_URL = fake.baseURL;
  s = await startTestShipyard();
  db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await s?.stop();
  await fake?.close();
  delete process.env.AGENTFAKE_BASE_URL;
  process.env.PATH = savedPath;
  rmSync(stubBin, { recursive: true, force: true });
});

const MODEL = "openai-compatible:agentfake:gpt-4.1";
let finishedTask = "";

describe("agent steps", () => {
  it("runs the built-in agent in the run's workspace: tool calls as events, its answer as outputs, every call in the ledger", async () => {
    const run = await runToEnd(
      s,
      `
name: agent-step
steps:
  - id: setup
    run: echo "remember the milk" > notes.txt
  - id: look
    needs: setup
    agent:
      model: ${MODEL}
      prompt: "What is in the workspace? (${"${{ steps.setup.status }}"})"
      max_turns: 5
  - id: after
    needs: look
    run: echo "answer=\${{ steps.look.outputs.text }}" >> "$SHIPYARD_OUTPUT"
outputs:
  answer: \${{ steps.after.outputs.answer }}
  turns: \${{ steps.look.outputs.turns }}
`,
    );
    expect(run.status).toBe("succeeded");
    finishedTask = `${run.id}:look:1`;
    expect(run.outputs).toEqual({ answer: "The workspace holds notes.txt.", turns: "2" });
    // The interpolated prompt reached the model, and the tool result (the runner's workspace listing) went back.
    const bodies = fake.requests.map((r) => JSON.stringify(r.body.messages));
    expect(bodies[0]).toContain("What is in the workspace? (succeeded)");
    expect(bodies[1]).toContain("notes.txt");

    const ev = await operationEvents(s, run.id);
    const agent = ev.filter((e) => ["tool_call", "tool_result", "agent_message"].includes(e.type));
    expect(agent.map((e) => [e.type, e.payload.stepId, e.payload.tool ?? e.payload.text])).toEqual([
      ["tool_call", "look", "list_files"],
      ["tool_result", "look", "list_files"],
      ["agent_message", "look", "The workspace holds notes.txt."],
    ]);
    expect(agent[1].payload).toMatchObject({ callId: "call_ls", ok: true });
    expect(agent[1].payload.summary).toContain("notes.txt");
    const usage = ev.filter((e) => e.type === "usage");
    expect(usage.map((e) => [e.payload.stepId, e.payload.inputTokens, e.payload.outputTokens])).toEqual([
      ["look", 100, 10],
      ["look", 200, 20],
    ]);
    const rows = await db.query("select task_id, input_tokens, cost_usd::float8 as cost from model_usage where operation_id = $1 order by id", [run.id]);
    expect(rows.rows).toEqual([
      { task_id: `${run.id}:look:1`, input_tokens: 100, cost: (100 * 2 + 10 * 8) / 1e6 },
      { task_id: `${run.id}:look:1`, input_tokens: 200, cost: (200 * 2 + 20 * 8) / 1e6 },
    ]);
  }, 60_000);

  it("stops the agent before the call that would pass its budget_usd, with a budget_exceeded event", async () => {
    const before = fake.requests.length;
    // A call costs 1000 * $2 + 500 * $8 per million = $0.006; the next call's estimate (~$0.005) on top passes $0.01.
    const run = await runToEnd(
      s,
      `
name: agent-budget
steps:
  - id: spend
    agent:
      model: ${MODEL}
      prompt: EXPENSIVE listing, forever
      budget_usd: 0.01
`,
    );
    expect(run.status).toBe("failed");
    expect(fake.requests.length - before).toBe(1);
    const step = run.steps.find((x: { id: string }) => x.id === "spend");
    expect(step.error).toBeTruthy();
    const ev = await operationEvents(s, run.id);
    const refused = ev.filter((e) => e.type === "budget_exceeded");
    expect(refused).toHaveLength(1);
    expect(refused[0].payload).toMatchObject({ stepId: "spend", budget: "step", limitUsd: 0.01, spentUsd: 0.006 });
    const stderr = ev.filter((e) => e.type === "log" && e.payload.stepId === "spend" && e.payload.stream === "stderr").map((e) => e.payload.line);
    expect(stderr.join("\n")).toMatch(/agent stopped: budget_exceeded: step budget exceeded/);
    const ledger = await db.query("select count(*)::int as n, sum(cost_usd)::float8 as usd from model_usage where operation_id = $1", [run.id]);
    expect(ledger.rows[0]).toEqual({ n: 1, usd: 0.006 });
  }, 60_000);

  it("stops an agent at its run's budget, set through the API while the run waits", async () => {
    const before = fake.requests.length;
    const created = await s.api("POST", "/runs", {
      workflow: `
name: run-budget
steps:
  - id: wait
    run: sleep 1
  - id: spend
    needs: wait
    agent: { model: "${MODEL}", prompt: "EXPENSIVE" }
`,
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect((await s.api("PUT", `/operations/${id}/budget`, { limitUsd: -1 })).status).toBe(400);
    expect((await s.api("PUT", "/operations/run_nope/budget", { limitUsd: 1 })).status).toBe(404);
    const set = await s.api("PUT", `/operations/${id}/budget`, { limitUsd: 0.001 });
    expect(set).toMatchObject({ status: 200, body: { operationId: id, limitUsd: 0.001, spentUsd: 0 } });
    const run = await waitFor(async () => {
      const r = await s.api("GET", `/runs/${id}`);
      return ["succeeded", "failed", "cancelled"].includes(r.body.status) ? r.body : null;
    });
    expect(run.status).toBe("failed");
    expect(fake.requests.length - before).toBe(0);
    const refused = (await operationEvents(s, id)).filter((e) => e.type === "budget_exceeded");
    expect(refused.map((e) => [e.payload.stepId, e.payload.budget, e.payload.limitUsd])).toEqual([["spend", "operation", 0.001]]);
  }, 60_000);

  it("caps Claude Code at what is left of its budgets, records what it reports, and does not start it when nothing is left", async () => {
    const created = await s.api("POST", "/runs", {
      workflow: `
name: claude-budget
steps:
  - id: wait
    run: sleep 1
  - id: first
    needs: wait
    agent: { executor: claude-code, prompt: "one", budget_usd: 0.5 }
  - id: second
    needs: first
    agent: { executor: claude-code, prompt: "two" }
`,
    });
    const id = created.body.id;
    expect((await s.api("PUT", `/operations/${id}/budget`, { limitUsd: 0.002 })).status).toBe(200);
    const run = await waitFor(async () => {
      const r = await s.api("GET", `/runs/${id}`);
      return ["succeeded", "failed", "cancelled"].includes(r.body.status) ? r.body : null;
    });
    const steps = Object.fromEntries(run.steps.map((x: { id: string }) => [x.id, x]));
    expect(steps.first).toMatchObject({ status: "succeeded", outputs: { text: "done", cost_usd: "0.002" } });
    expect(steps.second.status).toBe("failed");
    const ev = await operationEvents(s, id);
    const stderr = (step: string) => ev.filter((e) => e.type === "log" && e.payload.stepId === step && e.payload.stream === "stderr").map((e) => e.payload.line).join("\n");
    // The run's $0.002 is tighter than the step's $0.50.
    expect(stderr("first")).toContain("claude args: -p --output-format stream-json --verbose --max-budget-usd 0.002");
    expect(stderr("second")).toContain("budget_exceeded: no model budget is left for this step");
    expect(stderr("second")).not.toContain("claude args");
    expect(ev.filter((e) => e.type === "usage").map((e) => [e.payload.stepId, e.payload.costUsd, e.payload.model])).toEqual([["first", 0.002, "claude-sonnet-4-5"]]);
    expect(ev.filter((e) => e.type === "budget_exceeded").map((e) => [e.payload.stepId, e.payload.budget, e.payload.spentUsd])).toEqual([["second", "operation", 0.002]]);
    const ledger = await db.query("select call_kind, provider, cost_usd::float8 as usd from model_usage where operation_id = $1", [id]);
    expect(ledger.rows).toEqual([{ call_kind: "agent", provider: "anthropic", usd: 0.002 }]);
  }, 60_000);

  it("uses the workspace's default model for llm and agent steps that name none; without one the step says how to fix it", async () => {
    const ws = await s.api("POST", "/workspaces", { name: "defaults" });
    const token = ws.body.token as string;
    const wf = `
name: defaults
steps:
  - id: ask
    llm: { prompt: "Say hi" }
  - id: look
    needs: ask
    agent: { prompt: "What is in the workspace?" }
`;
    const runAs = async () => {
      const created = await s.api("POST", "/runs", { workflow: wf }, token);
      expect(created.status).toBe(201);
      return waitFor(async () => {
        const r = await s.api("GET", `/runs/${created.body.id}`, undefined, token);
        return ["succeeded", "failed", "cancelled"].includes(r.body.status) ? r.body : null;
      });
    };
    expect((await s.api("GET", "/settings", undefined, token)).body).toEqual({ defaultModel: null, stepNetwork: false });
    const without = await runAs();
    expect(without.status).toBe("failed");
    expect(without.steps[0].error).toMatch(/^step "ask" names no model and there is no default: .*shipyard default-model SPEC/);

    expect((await s.api("PUT", "/settings", { defaultModel: "nope:x" }, token)).status).toBe(400);
    expect((await s.api("PUT", "/settings", { defaultModel: "not a spec" }, token)).status).toBe(400);
    expect((await s.api("PUT", "/settings", { defaultModel: MODEL }, token)).body).toEqual({ defaultModel: MODEL, stepNetwork: false });
    // Another workspace's default is its own.
    expect((await s.api("GET", "/settings")).body).toEqual({ defaultModel: null, stepNetwork: false });
    const before = fake.requests.length;
    const withDefault = await runAs();
    expect(withDefault.status).toBe("succeeded");
    expect(fake.requests.slice(before).map((r) => r.body.model)).toEqual(["gpt-4.1", "gpt-4.1", "gpt-4.1"]);
    expect(withDefault.steps[1].outputs.text).toBe("The workspace holds notes.txt.");
  }, 60_000);

  it("runs a command agent with the prompt in $SHIPYARD_PROMPT_FILE", async () => {
    const run = await runToEnd(
      s,
      `
name: agent-command
inputs:
  who: { type: string, default: world }
steps:
  - id: greet
    agent:
      executor: command
      prompt: "hello \${{ inputs.who }}"
      command: 'echo "said=$(cat "$SHIPYARD_PROMPT_FILE")" >> "$SHIPYARD_OUTPUT"'
outputs:
  said: \${{ steps.greet.outputs.said }}
`,
    );
    expect(run).toMatchObject({ status: "succeeded", outputs: { said: "hello world" } });
  }, 60_000);

  it("refuses a model call with a forged or stale task token", async () => {
    const call = (token: string) =>
      fetch(`${s.url}/api/v1/model-calls`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ params: { prompt: [{ role: "user", content: [{ type: "text", text: "hi" }] }] } }),
      });
    const forged = await call(`syt_${Buffer.from("run_x:look:1\n1").toString("base64url")}.${Buffer.alloc(32).toString("base64url")}`);
    expect(forged.status).toBe(401);
    expect((await forged.json()).code).toBe("unauthorized");
    // An API token is not a task token.
    expect((await call(s.adminToken)).status).toBe(401);
    // A genuine token of a task that has finished no longer works.
    expect(finishedTask).not.toBe("");
    const tokens = new TaskTokens(await loadOrCreateKey(s.dataDir));
    const stale = await call(tokens.mint(finishedTask, 1));
    expect(stale.status).toBe(409);
    expect((await stale.json()).code).toBe("task_not_running");
  });
});
