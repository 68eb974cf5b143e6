// GET /usage/series: the ledger as consecutive hour or day buckets with tokens and cost per model or project,
// empty buckets included, another workspace's calls never counted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordUsage } from "../../agents/llm/index.ts";
import { createWorkspace } from "../auth.ts";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";

let app: InMemoryApp;

async function call(at: string, o: { model: string; input: number; output: number; cost: number; project?: string; workspaceId?: string }): Promise<void> {
  const stored = await recordUsage(app.pool, { provider: "openai", model: o.model, inputTokens: o.input, outputTokens: o.output, latencyMs: 1, costUsd: o.cost, workspaceId: o.workspaceId ?? app.workspaceId, projectId: o.project ?? null });
  await app.pool.query("update model_usage set created_at = $2 where id = $1", [stored.id, at]);
}

beforeAll(async () => {
  app = await startInMemoryApp("usage-series");
  const other = await createWorkspace(app.pool, "usage-series-other");
  await call("2026-11-30T09:10:00Z", { model: "gpt-4.1", input: 100, output: 10, cost: 0.5, project: "prj_a" });
  await call("2026-11-30T09:50:00Z", { model: "gpt-4.1", input: 200, output: 20, cost: 1, project: "prj_b" });
  await call("2026-11-30T09:30:00Z", { model: "gpt-4.1-mini", input: 1000, output: 100, cost: 0.1, project: "prj_a" });
  await call("2026-11-30T11:05:00Z", { model: "gpt-4.1-mini", input: 50, output: 5, cost: 0.01 });
  await call("2026-12-01T08:00:00Z", { model: "gpt-4.1", input: 300, output: 30, cost: 2, project: "prj_a" });
  await call("2026-11-30T09:20:00Z", { model: "gpt-4.1", input: 9999, output: 999, cost: 99, workspaceId: other.id });
});
afterAll(() => app.close());

const group = (key: string | null, calls: number, inputTokens: number, outputTokens: number, costUsd: number) => ({ key, calls, inputTokens, outputTokens, cachedTokens: 0, costUsd, unpricedCalls: 0 });

describe("GET /usage/series", () => {
  it("gives hour buckets per model, every hour of the range, with each model's tokens and cost", async () => {
    const res = await app.api("GET", "/usage/series?bucket=hour&by=model&since=2026-11-30T09:00:00Z&until=2026-11-30T12:00:00Z");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      bucket: "hour",
      by: "model",
      since: "2026-11-30T09:00:00.000Z",
      until: "2026-11-30T12:00:00.000Z",
      keys: ["openai:gpt-4.1", "openai:gpt-4.1-mini"],
      buckets: [
        { start: "2026-11-30T09:00:00.000Z", groups: [group("openai:gpt-4.1", 2, 300, 30, 1.5), group("openai:gpt-4.1-mini", 1, 1000, 100, 0.1)] },
        { start: "2026-11-30T10:00:00.000Z", groups: [] },
        { start: "2026-11-30T11:00:00.000Z", groups: [group("openai:gpt-4.1-mini", 1, 50, 5, 0.01)] },
      ],
    });
  });

  it("gives UTC day buckets per project, starting at the day that holds since", async () => {
    const res = await app.api("GET", "/usage/series?bucket=day&by=project&since=2026-11-30T05:00:00Z&until=2026-12-02");
    expect(res.status).toBe(200);
    expect(res.body.since).toBe("2026-11-30T00:00:00.000Z");
    expect(res.body.keys).toEqual(["prj_a", "prj_b", null]);
    expect(res.body.buckets).toEqual([
      { start: "2026-11-30T00:00:00.000Z", groups: [group("prj_a", 2, 1100, 110, 0.6), group("prj_b", 1, 200, 20, 1), group(null, 1, 50, 5, 0.01)] },
      { start: "2026-12-01T00:00:00.000Z", groups: [group("prj_a", 1, 300, 30, 2)] },
    ]);
  });

  it("refuses a bad time, an empty range and a range of too many buckets with a 400 problem", async () => {
    const bad = await app.api("GET", "/usage/series?since=last-week");
    expect([bad.status, bad.body.code]).toEqual([400, "invalid_request"]);
    expect(JSON.stringify(bad.body)).toContain("ISO 8601 time");
    expect((await app.api("GET", "/usage/series?since=2026-12-01&until=2026-12-01")).status).toBe(400);
    expect((await app.api("GET", "/usage/series?bucket=hour&since=2026-01-01&until=2026-12-01")).status).toBe(400);
    expect((await app.api("GET", "/usage/series?bucket=minute")).status).toBe(400);
  });
});
