// `shipyard runs` with the server's filters and `shipyard usage --bucket`, as real child processes against the
// HTTP app served on loopback (no engine: runs are only created, their statuses set through the store).
import os from "node:os";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordUsage } from "../src/agents/llm/index.ts";
import { finishOperation } from "../src/operations/store.ts";
import { runCli } from "./helpers/cli.ts";
import { startInMemoryApp, type InMemoryApp } from "./helpers/in-memory-app.ts";

let t: InMemoryApp;
let server: ServerType;
let url: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startInMemoryApp("cli_lists");
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: t.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const name of ["deploy-web", "deploy-api", "build"]) {
    const created = await t.api("POST", "/runs", { workflow: `name: ${name}\nsteps:\n  - id: a\n    run: echo a\n` });
    expect(created.status).toBe(201);
    ids[name] = created.body.id;
  }
  await finishOperation(t.pool, ids["deploy-api"]!, "failed", "boom");
  // Two hours old: outside `--since 1h`.
  await t.pool.query("update operations set created_at = now() - interval '2 hours' where id = $1", [ids["deploy-web"]]);
  const two = new Date(Date.now() - 2 * 86_400_000).toISOString();
  for (const [model, at] of [["gpt-4.1", two], ["gpt-4.1-mini", new Date().toISOString()]] as const) {
    const u = await recordUsage(t.pool, { provider: "openai", model, inputTokens: 100, outputTokens: 10, latencyMs: 1, costUsd: 0.25, workspaceId: t.workspaceId });
    await t.pool.query("update model_usage set created_at = $2 where id = $1", [u.id, at]);
  }
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await t?.close();
});

const cli = (...args: string[]) => runCli(args, { env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), SHIPYARD_URL: url, SHIPYARD_TOKEN: t.token, NO_COLOR: "1" } });
const listed = async (...args: string[]) => {
  const r = await cli("runs", "--json", ...args);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { id: string }[]).map((x) => x.id);
};

describe("shipyard runs filters", { timeout: 60_000 }, () => {
  it("takes --workflow (exact or prefix*), --status (several) and --since as a span back from now or ISO", async () => {
    expect(await listed("--workflow", "deploy*")).toEqual([ids["deploy-api"], ids["deploy-web"]]);
    expect(await listed("--workflow", "build")).toEqual([ids.build]);
    expect(await listed("--status", "failed")).toEqual([ids["deploy-api"]]);
    expect(await listed("--since", "1h")).toEqual([ids.build, ids["deploy-api"]]);
    expect(await listed("--since", "3h", "--workflow", "deploy*", "--status", "running,failed")).toEqual([ids["deploy-api"], ids["deploy-web"]]);
    expect(await listed("--until", new Date(Date.now() - 3600_000).toISOString())).toEqual([ids["deploy-web"]]);
    const none = await cli("runs", "--workflow", "nothing");
    expect([none.code, none.stdout.trim()]).toEqual([0, "no runs match"]);
    const bad = await cli("runs", "--since", "yesterday");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--since expects an ISO 8601 time");
  });

  it("usage --by model --bucket day prints one line per day and model with usage", async () => {
    const r = await cli("usage", "--by", "model", "--bucket", "day", "--from", "3d");
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^DAY\s+MODEL\s+CALLS\s+INPUT\s+OUTPUT\s+COST$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(1))).toEqual([
      ["openai:gpt-4.1", "1", "100", "10", "$0.2500"],
      ["openai:gpt-4.1-mini", "1", "100", "10", "$0.2500"],
    ]);
    const json = JSON.parse((await cli("usage", "--bucket", "hour", "--json")).stdout);
    expect(json).toMatchObject({ bucket: "hour", by: "model", keys: ["openai:gpt-4.1-mini"] });
  });
});
