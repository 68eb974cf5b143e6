import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../../../test/helpers/database.ts";
import { migrate } from "../../db/migrate.ts";
import { createPool, type Pool } from "../../db/pool.ts";
import { costOf, DEFAULT_PRICES, loadPrices, priceOf } from "./prices.ts";
import { llmMetrics, recordUsage, usageSummary } from "./usage.ts";

let pool: Pool;
beforeAll(async () => {
  pool = createPool(await freshDatabase("llm_usage"), 4);
  await migrate(pool);
  await pool.query("insert into workspaces (id, name) values ('ws_a', 'a'), ('ws_b', 'b')");
});
afterAll(async () => {
  await pool?.end();
});

const at = (id: number, iso: string) => pool.query("update model_usage set created_at = $2 where id = $1", [id, iso]);

describe("prices", () => {
  it("prices input, cached input and output per million tokens, dated snapshots like their family", () => {
    // 1M input of which 200k cached at sonnet 4.5: 800k × $3 + 200k × $0.30 + 100k out × $15
    expect(costOf(priceOf(DEFAULT_PRICES, "anthropic", "claude-sonnet-4-5-20250929"), { input: 1_000_000, cached: 200_000, output: 100_000 }))
      .toEqual({ costUsd: 2.4 + 0.06 + 1.5, priced: true });
    expect(priceOf(DEFAULT_PRICES, "openai", "gpt-4.1-2025-04-14")).toEqual(DEFAULT_PRICES["gpt-4.1"]);
    expect(costOf(priceOf(DEFAULT_PRICES, "openai", "gpt-9"), { input: 10, cached: 0, output: 10 })).toEqual({ costUsd: 0, priced: false });
    expect(costOf(priceOf(DEFAULT_PRICES, "ollama", "llama3.1"), { input: 10, cached: 0, output: 10 })).toEqual({ costUsd: 0, priced: true });
  });

  it("takes overrides and additions from SHIPYARD_LLM_PRICES, with a readable error for bad JSON", () => {
    const prices = loadPrices({ SHIPYARD_LLM_PRICES: '{"gpt-4.1": {"input": 1, "output": 2}, "together:llama-70b": {"input": 0.9, "output": 0.9}}' });
    expect(prices["gpt-4.1"]).toEqual({ input: 1, output: 2 });
    expect(priceOf(prices, "together", "llama-70b")).toEqual({ input: 0.9, output: 0.9 });
    expect(priceOf(prices, "other", "llama-70b")).toBeNull();
    expect(prices["o3"]).toEqual(DEFAULT_PRICES["o3"]);
    expect(() => loadPrices({ SHIPYARD_LLM_PRICES: "{" })).toThrow(/SHIPYARD_LLM_PRICES is not JSON/);
    expect(() => loadPrices({ SHIPYARD_LLM_PRICES: '{"x": {"input": -1, "output": 1}}' })).toThrow(/x\.input/);
  });
});

describe("usage ledger", () => {
  it("stores each call with its cost from the price table and flags unknown models", async () => {
    const registry = new Registry();
    const metrics = llmMetrics(registry);
    expect(llmMetrics(registry).tokens).toBe(metrics.tokens); // once per registry

    const sonnet = await recordUsage(
      pool,
      { provider: "anthropic", model: "claude-sonnet-4-5", inputTokens: 10_000, cachedTokens: 4_000, outputTokens: 2_000, latencyMs: 812.4, workspaceId: "ws_a", operationId: "op_1", projectId: "prj_1" },
      { metrics },
    );
    expect(sonnet.costUsd).toBeCloseTo(0.018 + 0.0012 + 0.03, 9);
    expect(sonnet.priced).toBe(true);
    const unknown = await recordUsage(pool, { provider: "openai", model: "gpt-9", inputTokens: 500, outputTokens: 50, latencyMs: 5, workspaceId: "ws_a" }, { metrics });
    expect([unknown.costUsd, unknown.priced]).toEqual([0, false]);

    const { rows } = await pool.query("select * from model_usage where id = $1", [sonnet.id]);
    expect(rows[0]).toMatchObject({
      workspace_id: "ws_a", operation_id: "op_1", project_id: "prj_1", provider: "anthropic", model: "claude-sonnet-4-5",
      call_kind: "generate", input_tokens: 10_000, output_tokens: 2_000, cached_tokens: 4_000, priced: true, latency_ms: 812,
    });
    expect(Number(rows[0].cost_usd)).toBeCloseTo(sonnet.costUsd, 9);

    const text = await registry.metrics();
    expect(text).toContain('shipyard_llm_tokens_total{provider="anthropic",model="claude-sonnet-4-5",kind="input"} 10000');
    expect(text).toContain('shipyard_llm_tokens_total{provider="anthropic",model="claude-sonnet-4-5",kind="cached"} 4000');
    expect(text).toContain('shipyard_llm_tokens_total{provider="openai",model="gpt-9",kind="output"} 50');
    expect(text).toMatch(/shipyard_llm_cost_usd_total\{provider="anthropic",model="claude-sonnet-4-5"\} 0\.0492/);
  });

  it("summarizes a workspace by model, provider, operation, project and UTC day, within [from, to)", async () => {
    const ws = "ws_b";
    const rec = (model: string, provider: string, input: number, output: number, operationId: string) =>
      recordUsage(pool, { provider, model, inputTokens: input, outputTokens: output, latencyMs: 10, workspaceId: ws, operationId, projectId: "prj_b" });
    const a = await rec("gpt-4.1", "openai", 1_000_000, 0, "op_x"); // $2
    const b = await rec("gpt-4.1", "openai", 0, 1_000_000, "op_y"); // $8
    const c = await rec("gpt-4o-mini", "openai", 1_000_000, 1_000_000, "op_x"); // $0.75
    const d = await rec("mystery", "acme", 100, 100, "op_y"); // unpriced
    await at(a.id, "2026-03-01T10:00:00Z");
    await at(b.id, "2026-03-01T23:59:59Z");
    await at(c.id, "2026-03-02T00:00:00Z");
    await at(d.id, "2026-03-03T12:00:00Z");

    const byModel = await usageSummary(pool, ws, { groupBy: "model" });
    expect(byModel).toEqual([
      { key: "acme:mystery", calls: 1, inputTokens: 100, outputTokens: 100, cachedTokens: 0, costUsd: 0, unpricedCalls: 1 },
      { key: "openai:gpt-4.1", calls: 2, inputTokens: 1_000_000, outputTokens: 1_000_000, cachedTokens: 0, costUsd: 10, unpricedCalls: 0 },
      { key: "openai:gpt-4o-mini", calls: 1, inputTokens: 1_000_000, outputTokens: 1_000_000, cachedTokens: 0, costUsd: 0.75, unpricedCalls: 0 },
    ]);
    const byDay = await usageSummary(pool, ws, { groupBy: "day" });
    expect(byDay.map((g) => [g.key, g.calls, g.costUsd])).toEqual([
      ["2026-03-01", 2, 10],
      ["2026-03-02", 1, 0.75],
      ["2026-03-03", 1, 0],
    ]);
    const window = await usageSummary(pool, ws, { groupBy: "day", from: new Date("2026-03-01T12:00:00Z"), to: new Date("2026-03-03T00:00:00Z") });
    expect(window.map((g) => [g.key, g.calls, g.costUsd])).toEqual([["2026-03-01", 1, 8], ["2026-03-02", 1, 0.75]]);
    expect((await usageSummary(pool, ws, { groupBy: "operation" })).map((g) => [g.key, g.costUsd])).toEqual([["op_x", 2.75], ["op_y", 8]]);
    expect((await usageSummary(pool, ws, { groupBy: "provider" })).map((g) => [g.key, g.calls])).toEqual([["acme", 1], ["openai", 3]]);
    expect((await usageSummary(pool, ws, { groupBy: "project" })).map((g) => [g.key, g.calls])).toEqual([["prj_b", 4]]);
    // Another workspace's calls are not in this one's summary.
    expect((await usageSummary(pool, "ws_a", { groupBy: "project" })).map((g) => g.calls).reduce((x, y) => x + y, 0)).toBe(2);
  });

  it("keeps calls made outside any workspace apart", async () => {
    await recordUsage(pool, { provider: "openai", model: "o3", inputTokens: 1_000, outputTokens: 1_000, latencyMs: 1 });
    expect((await usageSummary(pool, null, { groupBy: "model" })).map((g) => [g.key, g.costUsd])).toEqual([["openai:o3", 0.01]]);
  });
});
