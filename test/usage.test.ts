import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../src/agents/llm/fake-openai.ts";
import { runCli } from "./helpers/cli.ts";
import { runToEnd, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

// Usage, budgets and the LLM counters, end to end: llm steps call a fake OpenAI-compatible server through
// `openai-compatible:usagefake:gpt-4.1`, so the calls are priced (gpt-4.1: $2 in, $0.5 cached, $8 out per million).
let s: TestShipyard;
let fake: FakeOpenAI;
let cassettes: string;
let db: pg.Client;

beforeAll(async () => {
  fake = await startFakeOpenAI(() => ({ text: "a summary", usage: { prompt_tokens: 10, completion_tokens: 5, cached_tokens: 4 } }));
  // The engine runs in this process and resolves models from its environment.
  process.env.USAGEFAKE_BASE_URL = fake.baseURL;
  cassettes = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-cassettes-"));
  s = await startTestShipyard({ env: { SHIPYARD_CASSETTES: cassettes } });
  db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await s?.stop();
  await fake?.close();
  delete process.env.USAGEFAKE_BASE_URL;
  await fs.rm(cassettes, { recursive: true, force: true });
});

const WORKFLOW = `
name: usage
steps:
  - id: summarize
    llm:
      model: openai-compatible:usagefake:gpt-4.1
      prompt: Summarize the release
`;

// (10 - 4) * $2 + 4 * $0.5 + 5 * $8, per million tokens.
const CALL_COST = 0.000054;
const today = () => new Date().toISOString().slice(0, 10);

/** Start a run with `token` and wait for its end. */
async function runAs(token: string, workflow: string): Promise<any> {
  const created = await s.api("POST", "/runs", { workflow }, token);
  expect(created.status).toBe(201);
  return waitFor(
    async () => {
      const r = await s.api("GET", `/runs/${created.body.id}`, undefined, token);
      return ["succeeded", "failed", "cancelled"].includes(r.body.status) ? r.body : null;
    },
    30_000,
    `run ${created.body.id}`,
  );
}

async function newWorkspace(name: string): Promise<string> {
  const ws = await s.api("POST", "/workspaces", { name });
  expect(ws.status).toBe(201);
  return ws.body.token as string;
}

describe("usage and budgets", () => {
  let runId = "";

  it("rolls up an llm step's tokens, cost and calls by model and by day", async () => {
    const run = await runToEnd(s, WORKFLOW);
    expect(run.status).toBe("succeeded");
    expect(run.steps[0].outputs).toEqual({ text: "a summary" });
    runId = run.id;

    const byModel = await s.api("GET", "/usage?groupBy=model");
    expect(byModel.status).toBe(200);
    expect(byModel.body).toMatchObject({ groupBy: "model", from: null, to: null });
    expect(byModel.body.groups).toEqual([
      { key: "usagefake:gpt-4.1", calls: 1, inputTokens: 10, outputTokens: 5, cachedTokens: 4, costUsd: CALL_COST, unpricedCalls: 0 },
    ]);

    const byDay = await s.api("GET", "/usage?groupBy=day");
    expect(byDay.body.groups).toEqual([
      { key: today(), calls: 1, inputTokens: 10, outputTokens: 5, cachedTokens: 4, costUsd: CALL_COST, unpricedCalls: 0 },
    ]);

    const byOperation = await s.api("GET", "/usage?groupBy=operation");
    expect(byOperation.body.groups.map((g: { key: string }) => g.key)).toEqual([run.id]);

    // [from, to): a window that ended before the call holds nothing; one around now holds it.
    const before = await s.api("GET", `/usage?groupBy=model&to=2000-01-01`);
    expect(before.body.groups).toEqual([]);
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const around = await s.api("GET", `/usage?groupBy=provider&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(around.status).toBe(200);
    expect(around.body.groups).toMatchObject([{ key: "usagefake", calls: 1 }]);
  });

  it("rejects a bad groupBy or date with 400 problem+json", async () => {
    for (const q of ["groupBy=color", "from=yesterday", "to=2025-13-45", "from=2025-02-01&to=2025-01-01"]) {
      const r = await s.api("GET", `/usage?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body.code).toBe("invalid_request");
    }
  });

  it("is scoped to the token's workspace", async () => {
    const other = await newWorkspace("usage-other");
    for (const groupBy of ["model", "day", "operation"]) {
      const r = await s.api("GET", `/usage?groupBy=${groupBy}`, undefined, other);
      expect(r.status).toBe(200);
      expect(r.body.groups).toEqual([]);
    }
    expect((await s.api("GET", "/budgets", undefined, other)).body).toEqual({ workspaceDailyUsd: null, spentTodayUsd: 0 });
  });

  it("shows the LLM counters on /metrics", async () => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toContain('shipyard_llm_tokens_total{provider="usagefake",model="gpt-4.1",kind="input"} 10');
    expect(text).toContain('shipyard_llm_tokens_total{provider="usagefake",model="gpt-4.1",kind="output"} 5');
    expect(text).toContain('shipyard_llm_tokens_total{provider="usagefake",model="gpt-4.1",kind="cached"} 4');
    expect(text).toContain(`shipyard_llm_cost_usd_total{provider="usagefake",model="gpt-4.1"} ${CALL_COST}`);
  });

  it("fails an llm step over the workspace's daily budget with a budget_exceeded event, recording nothing", async () => {
    const token = await newWorkspace("usage-budget");
    expect((await s.api("PUT", "/budgets", { workspaceDailyUsd: -1 }, token)).status).toBe(400);
    expect((await s.api("PUT", "/budgets", { dailyUsd: 1 }, token)).status).toBe(400);
    // Below the call's estimate (its prompt plus 512 assumed output tokens at $8 per million is about $0.004).
    const set = await s.api("PUT", "/budgets", { workspaceDailyUsd: 0.001 }, token);
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ workspaceDailyUsd: 0.001, spentTodayUsd: 0 });
    expect((await s.api("GET", "/budgets", undefined, token)).body).toEqual({ workspaceDailyUsd: 0.001, spentTodayUsd: 0 });

    const calls = fake.requests.length;
    const run = await runAs(token, WORKFLOW);
    expect(run.status).toBe("failed");
    expect(run.steps[0].status).toBe("failed");
    expect(run.steps[0].error).toMatch(/^workspace daily budget exceeded: spent \$0\.000000 \+ estimated \$0\.00\d+ > limit \$0\.001000$/);
    expect(run.error).toContain("step summarize failed");
    expect(fake.requests.length).toBe(calls);

    const { body } = await s.api("GET", `/operations/${run.id}/events`, undefined, token);
    const refused = body.events.filter((e: { type: string }) => e.type === "budget_exceeded");
    expect(refused).toHaveLength(1);
    expect(refused[0].payload).toMatchObject({ stepId: "summarize", attempt: 1, budget: "workspace_daily", spentUsd: 0, limitUsd: 0.001 });
    expect(refused[0].payload.estimatedCostUsd).toBeGreaterThan(0.001);

    const rows = await db.query("select count(*)::int as n from model_usage where operation_id = $1", [run.id]);
    expect(rows.rows[0].n).toBe(0);
    expect((await s.api("GET", "/usage", undefined, token)).body.groups).toEqual([]);

    // Removing the budget lets the same step through.
    expect((await s.api("PUT", "/budgets", { workspaceDailyUsd: null }, token)).body).toEqual({ workspaceDailyUsd: null, spentTodayUsd: 0 });
    expect((await runAs(token, WORKFLOW)).status).toBe("succeeded");
    expect((await s.api("GET", "/budgets", undefined, token)).body).toEqual({ workspaceDailyUsd: null, spentTodayUsd: CALL_COST });
  });

  it("prints the summary with `shipyard usage`", async () => {
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cassettes, SHIPYARD_URL: s.url, SHIPYARD_TOKEN: s.adminToken, NO_COLOR: "1" };
    const json = await runCli(["usage", "--json"], { env });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      groupBy: "model",
      from: null,
      to: null,
      groups: [{ key: "usagefake:gpt-4.1", calls: 1, inputTokens: 10, outputTokens: 5, cachedTokens: 4, costUsd: CALL_COST, unpricedCalls: 0 }],
    });
    const byOp = await runCli(["usage", "--group-by", "operation", "--from", "2000-01-01", "--json"], { env });
    expect(JSON.parse(byOp.stdout).groups.map((g: { key: string }) => g.key)).toEqual([runId]);
    const human = await runCli(["usage", "--group-by", "day"], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`${today()}\\s+1\\s+10\\s+5\\s+4\\s+\\$0\\.0001`));
    const bad = await runCli(["usage", "--group-by", "color"], { env });
    expect(bad.code).not.toBe(0);
  });

  it("shows and sets budgets with `shipyard budget`", async () => {
    const token = await newWorkspace("usage-cli-budget");
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cassettes, SHIPYARD_URL: s.url, SHIPYARD_TOKEN: token, NO_COLOR: "1" };
    expect((await runCli(["budget"], { env })).stdout).toContain("daily budget none, spent today $0.0000");
    const set = await runCli(["budget", "2.5", "--json"], { env });
    expect(JSON.parse(set.stdout)).toEqual({ workspaceDailyUsd: 2.5, spentTodayUsd: 0 });
    expect((await s.api("GET", "/budgets", undefined, token)).body.workspaceDailyUsd).toBe(2.5);
    expect((await runCli(["budget", "none"], { env })).stdout).toContain("daily budget none");
    const bad = await runCli(["budget", "lots"], { env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('the budget must be a number of USD (0 or more) or "none", got "lots"');
    const missing = await runCli(["budget", "1", "--operation", "run_missing"], { env });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("run_missing");
    const run = await runAs(token, WORKFLOW);
    const op = await runCli(["budget", "0.5", "--operation", run.id], { env });
    expect(op.stdout.trim()).toBe(`${run.id}: budget $0.5, spent $${CALL_COST.toFixed(4)}`);
  });
});
