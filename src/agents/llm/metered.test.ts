import { generateText, streamText } from "ai";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../../../test/helpers/database.ts";
import { migrate } from "../../db/migrate.ts";
import { createPool, type Pool } from "../../db/pool.ts";
import { checkBudget, clearBudget, setBudget } from "./budget.ts";
import { cassettesDirFrom } from "./cassette.ts";
import { BudgetExceededError } from "./errors.ts";
import { startFakeOpenAI, type FakeOpenAI } from "./fake-openai.ts";
import { meteredModel, type MeterContext } from "./metered.ts";
import { resolveModel } from "./resolve.ts";
import { llmMetrics } from "./usage.ts";

let pool: Pool;
let fake: FakeOpenAI;
beforeAll(async () => {
  pool = createPool(await freshDatabase("llm_metered"), 4);
  await migrate(pool);
  await pool.query("insert into workspaces (id, name) values ('ws_m', 'm'), ('ws_op', 'op'), ('ws_day', 'day'), ('ws_r', 'r')");
  // Every answer costs 2000 × $2/M + 1000 × $8/M = $0.012 at gpt-4.1's price.
  fake = await startFakeOpenAI(() => ({ text: "done", usage: { prompt_tokens: 2000, completion_tokens: 1000 } }));
});
afterAll(async () => {
  await fake?.close();
  await pool?.end();
});

const gpt41 = () => resolveModel("openai-compatible:fake:gpt-4.1", { env: { FAKE_BASE_URL: fake.baseURL } });
const metered = (ctx: Omit<MeterContext, "db">) => meteredModel(gpt41(), { db: pool, ...ctx });
const rows = (where: string, params: unknown[]) =>
  pool.query(`select * from model_usage where ${where} order by id`, params).then((r) => r.rows);

describe("metered models", () => {
  it("record provider, model, tokens, cost, latency and ids of generate and stream calls, and bump the counters", async () => {
    const registry = new Registry();
    const model = metered({ workspaceId: "ws_m", operationId: "op_m", projectId: "prj_m", metrics: llmMetrics(registry) });
    expect((await generateText({ model, prompt: "build it" })).text).toBe("done");
    const streamed = streamText({ model, prompt: "stream it" });
    expect(await streamed.text).toBe("done");

    const recorded = await rows("operation_id = $1", ["op_m"]);
    expect(recorded.map((r) => [r.provider, r.model, r.call_kind, r.input_tokens, r.output_tokens, Number(r.cost_usd), r.priced])).toEqual([
      ["fake", "gpt-4.1", "generate", 2000, 1000, 0.012, true],
      ["fake", "gpt-4.1", "stream", 2000, 1000, 0.012, true],
    ]);
    expect(recorded.every((r) => r.workspace_id === "ws_m" && r.project_id === "prj_m" && r.latency_ms >= 0)).toBe(true);
    expect(await registry.metrics()).toContain('shipyard_llm_cost_usd_total{provider="fake",model="gpt-4.1"} 0.024');
  });

  it("stop the call that would exceed the operation budget before it reaches the provider", async () => {
    const model = metered({ workspaceId: "ws_op", operationId: "op_b", operationBudgetUsd: 0.015 });
    await generateText({ model, prompt: "first" }); // estimate ~$0.004: fits, then costs $0.012
    const before = fake.requests.length;

    // $0.012 spent + ~$0.004 estimated (512 output tokens assumed) > $0.015
    const err = await generateText({ model, prompt: "second" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    const over = err as BudgetExceededError;
    expect([over.budget, over.spentUsd, over.limitUsd]).toEqual(["operation", 0.012, 0.015]);
    expect(over.message).toContain("operation budget exceeded");
    expect(fake.requests.length).toBe(before);

    // Streams are stopped the same way.
    const errors: unknown[] = [];
    await streamText({ model, prompt: "second", onError: ({ error }) => void errors.push(error) }).consumeStream();
    expect(errors[0]).toBeInstanceOf(BudgetExceededError);
    expect(fake.requests.length).toBe(before);

    // A call whose maxOutputTokens keeps the estimate inside the budget still goes through.
    await generateText({ model, prompt: "short", maxOutputTokens: 100 });
    expect(fake.requests.length).toBe(before + 1);
    expect((await rows("operation_id = $1", ["op_b"])).length).toBe(2);
  });

  it("stop the call that would exceed the workspace's daily budget from the budgets table, counting only today", async () => {
    await pool.query(
      "insert into model_usage (workspace_id, operation_id, provider, model, call_kind, input_tokens, output_tokens, cost_usd, priced, latency_ms, created_at) values ('ws_day', 'op_old', 'openai', 'gpt-4.1', 'generate', 1, 1, 5, true, 1, now() - interval '1 day')",
    );
    await setBudget(pool, { workspaceId: "ws_day", limitUsd: 0.015 });
    await generateText({ model: metered({ workspaceId: "ws_day", operationId: "op_d1" }), prompt: "first" });
    const before = fake.requests.length;
    const err = (await generateText({ model: metered({ workspaceId: "ws_day", operationId: "op_d2" }), prompt: "other op" }).catch((e: unknown) => e)) as BudgetExceededError;
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect([err.budget, err.spentUsd, err.limitUsd]).toEqual(["workspace_daily", 0.012, 0.015]);
    expect(err.message).toContain("workspace daily budget exceeded");
    expect(fake.requests.length).toBe(before);

    // Raising the budget lets it through; a caller's explicit null means no limit at all.
    await setBudget(pool, { workspaceId: "ws_day", limitUsd: 1 });
    await generateText({ model: metered({ workspaceId: "ws_day", operationId: "op_d2" }), prompt: "other op" });
    await setBudget(pool, { workspaceId: "ws_day", limitUsd: 0 });
    await generateText({ model: metered({ workspaceId: "ws_day", operationId: "op_d3", workspaceDailyBudgetUsd: null }), prompt: "unlimited" });
    expect(await clearBudget(pool, { workspaceId: "ws_day" })).toBe(true);
    expect(fake.requests.length).toBe(before + 2);
  });

  it("check budgets from the table per operation, allowing a call that lands exactly on the limit", async () => {
    await setBudget(pool, { workspaceId: "ws_op", operationId: "op_t", limitUsd: 0.01 });
    const check = (estimatedCostUsd: number) => checkBudget(pool, { workspaceId: "ws_op", operationId: "op_t", estimatedCostUsd });
    await expect(check(0.01)).resolves.toBeUndefined();
    await expect(check(0.0100001)).rejects.toMatchObject({ budget: "operation", spentUsd: 0, limitUsd: 0.01 });
    await expect(checkBudget(pool, { workspaceId: "ws_op", operationId: "op_other", estimatedCostUsd: 100 })).resolves.toBeUndefined();
  });

  it("meter replayed calls at no cost", async () => {
    const demo = resolveModel("replay:demo", { env: {}, cassettesDir: cassettesDirFrom({}) });
    const model = meteredModel(demo, { db: pool, workspaceId: "ws_r", operationId: "op_r", operationBudgetUsd: 0 });
    await generateText({ model, system: "You are Shipyard's release assistant. Answer in one sentence.", prompt: "Summarize release 1.2.0: faster runners and SSE replay." });
    const [row] = await rows("operation_id = $1", ["op_r"]);
    expect([row.provider, row.model, row.input_tokens, row.output_tokens, Number(row.cost_usd), row.priced]).toEqual(["replay", "demo", 42, 19, 0, true]);
  });
});
