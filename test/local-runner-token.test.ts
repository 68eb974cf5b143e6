// The local runner gets a runner credential of its own; no process Shipyard starts carries the admin token,
// even when the user started it with the admin token exported.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { migrate } from "../src/db/migrate.ts";
import { createPool, type Pool } from "../src/db/pool.ts";
import { createLogger } from "../src/logger.ts";
import { ensureAdminToken, ensureRunnerToken } from "../src/server/bootstrap.ts";
import { startShipyard, type Shipyard } from "../src/shipyard.ts";
import { findLiveToken, revokeToken } from "../src/tokens/store.ts";
import { freshDatabase } from "./helpers/database.ts";
import { waitFor } from "./helpers/shipyard.ts";

let shipyard: Shipyard;
let pool: Pool;
let dataDir: string;
let adminToken: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-local-runner-"));
  const databaseUrl = await freshDatabase();
  pool = createPool(databaseUrl, 4);
  await migrate(pool);
  // A second start: the admin token exists, and the user exported it (as the CLI tour suggests for clients).
  adminToken = (await ensureAdminToken(pool, dataDir)).token;
  process.env.SHIPYARD_TOKEN = adminToken;
  process.env.MY_COPY_OF_THE_ADMIN_TOKEN = `Bearer ${adminToken}`;
  const config = loadConfig({ SHIPYARD_RUNNER_SLOTS: "2", SHIPYARD_DATA_DIR: dataDir, SHIPYARD_PORT: "0", DATABASE_URL: databaseUrl });
  shipyard = await startShipyard(config, createLogger("warn"), { heartbeatMs: 500 });
  await waitFor(async () => (await api("GET", "/runners")).body.runners.some((r: { status: string }) => r.status === "online"));
});
afterAll(async () => {
  await shipyard?.stop();
  await pool?.end();
  delete process.env.SHIPYARD_TOKEN;
  delete process.env.MY_COPY_OF_THE_ADMIN_TOKEN;
});

async function api(method: string, route: string, body?: unknown, token = adminToken): Promise<{ status: number; body: any }> {
  const res = await fetch(`${shipyard.url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe("the local runner's credential", () => {
  it("is a shared-pool runner token, never the admin token, and nothing it inherits carries the admin token", async () => {
    expect(shipyard.adminToken).toBe(adminToken);
    const environ = (await fs.readFile(`/proc/${shipyard.runner!.pid}/environ`, "utf8")).split("\0");
    expect(environ.join("\n")).not.toContain(adminToken);
    const runnerToken = environ.find((e) => e.startsWith("SHIPYARD_TOKEN="))?.slice("SHIPYARD_TOKEN=".length);
    expect(runnerToken).toMatch(/^shp_/);
    expect(await findLiveToken(pool, runnerToken!)).toMatchObject({ role: "runner", shared: true, isAdmin: false });
    // It may connect as a runner and nothing else.
    const refused = await api("GET", "/runs", undefined, runnerToken);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: "forbidden", errors: { role: "runner", requiredRole: "viewer" } });
    // Kept for the next start in a file only its owner can read.
    const file = path.join(dataDir, "runner-token");
    expect((await fs.readFile(file, "utf8")).trim()).toBe(runnerToken);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    // The server's own environment was cleaned too, so nothing else it starts inherits the token.
    expect(process.env.SHIPYARD_TOKEN).toBeUndefined();
    expect(process.env.MY_COPY_OF_THE_ADMIN_TOKEN).toBeUndefined();
  });

  it("serves runs of every workspace", async () => {
    const team = (await api("POST", "/workspaces", { name: "team" })).body;
    const run = (await api("POST", "/runs", { workflow: "name: hi\nsteps:\n  - id: a\n    run: echo hi\n" }, team.token)).body;
    const done = await waitFor(async () => {
      const r = (await api("GET", `/runs/${run.id}`, undefined, team.token)).body;
      return ["succeeded", "failed"].includes(r.status) ? r : null;
    });
    expect(done.status).toBe("succeeded");
    const runners = (await api("GET", "/runners", undefined, team.token)).body.runners;
    expect(runners).toEqual([expect.objectContaining({ name: "local", shared: true, sandbox: "bwrap" })]);
  });

  it("is reused across starts while it is live, and replaced once revoked", async () => {
    const first = await ensureRunnerToken(pool, dataDir);
    expect((await ensureRunnerToken(pool, dataDir)).token).toBe(first.token);
    const t = await findLiveToken(pool, first.token);
    await revokeToken(pool, t!.workspaceId, t!.id);
    const next = await ensureRunnerToken(pool, dataDir);
    expect(next.token).not.toBe(first.token);
    expect(await findLiveToken(pool, next.token)).toMatchObject({ role: "runner", shared: true });
  });
});
