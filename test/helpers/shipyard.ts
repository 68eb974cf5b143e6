import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig, type Config } from "../../src/config.ts";
import { createPool } from "../../src/db/pool.ts";
import { StoredEventSchema } from "../../src/events/catalogue.ts";
import { createLogger } from "../../src/logger.ts";
import { startShipyard, type Shipyard, type StartOptions } from "../../src/shipyard.ts";
import { freshDatabase } from "./database.ts";

/** A Shipyard started in this test process on a fresh database, with a real local runner process. */
export interface TestShipyard extends Shipyard {
  dataDir: string;
  /** The configuration it runs with; the engine reads `config.jobs` at each use, so a test may change it. */
  config: Config;
  /** fetch against /api/v1 with the admin token (or `token`). */
  api(method: string, route: string, body?: unknown, token?: string): Promise<{ status: number; body: any; headers: Headers }>;
}

/** Start options, plus extra environment for the server's configuration (e.g. `SHIPYARD_STUCK_AFTER_MS`). */
export interface TestShipyardOptions extends StartOptions {
  env?: Record<string, string>;
}

/** Start Shipyard for a test file (one per process: DBOS is a singleton). */
export async function startTestShipyard(options: TestShipyardOptions = {}): Promise<TestShipyard> {
  const { env = {}, ...opts } = options;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "shipyard-test-"));
  const databaseUrl = await freshDatabase("t", { migrated: true });
  const config = loadConfig({ SHIPYARD_RUNNER_SLOTS: "4", ...env, SHIPYARD_DATA_DIR: dataDir, SHIPYARD_PORT: "0", DATABASE_URL: databaseUrl });
  const shipyard = await startShipyard(config, createLogger(process.env.SHIPYARD_TEST_LOG ?? "warn"), { heartbeatMs: 500, ...opts });
  const api: TestShipyard["api"] = async (method, route, body, token) => {
    const res = await fetch(`${shipyard.url}/api/v1${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token ?? shipyard.adminToken}`,
        accept: "application/json",
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  if (opts.localRunner !== false) await waitFor(async () => (await api("GET", "/runners")).body.runners.some((r: { status: string }) => r.status === "online"));
  // Every test file that boots Shipyard also checks that each event it made is the catalogue's.
  const stop = shipyard.stop.bind(shipyard);
  const stopAndCheckEvents = async () => {
    const strays = await eventsOffCatalogue(databaseUrl).catch(() => []);
    await stop();
    if (strays.length > 0) throw new Error(`events that are not the catalogue's (src/events/catalogue.ts):\n${strays.slice(0, 5).join("\n")}`);
  };
  // Not a spread: `runner` is a getter (the local runner is restarted when it dies).
  return Object.assign(shipyard, { dataDir, config, api, stop: stopAndCheckEvents });
}

/** The events of a database that do not parse as the catalogue's, with the reason. */
async function eventsOffCatalogue(databaseUrl: string): Promise<string[]> {
  const pool = createPool(databaseUrl, 1);
  try {
    const { rows } = await pool.query<{ operation_id: string; seq: number; type: string; payload: unknown; created_at: Date }>("select * from events");
    return rows.flatMap((r) => {
      const parsed = StoredEventSchema.safeParse({ operationId: r.operation_id, seq: r.seq, type: r.type, payload: r.payload, time: r.created_at.toISOString() });
      return parsed.success ? [] : [`${r.type} ${JSON.stringify(r.payload).slice(0, 300)}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`];
    });
  } finally {
    await pool.end();
  }
}

/** Poll `check` until it returns a truthy value (or throw after `timeoutMs`). */
export async function waitFor<T>(check: () => Promise<T | false | null | undefined>, timeoutMs = 30_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Start a run and wait for it to finish; returns the final run. */
export async function runToEnd(s: TestShipyard, workflow: string, inputs: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<any> {
  const created = await s.api("POST", "/runs", { workflow, inputs });
  if (created.status !== 201) throw new Error(`run not created: ${JSON.stringify(created.body)}`);
  return waitFor(
    async () => {
      const r = await s.api("GET", `/runs/${created.body.id}`);
      return ["succeeded", "failed", "cancelled"].includes(r.body.status) ? r.body : null;
    },
    timeoutMs,
    `run ${created.body.id} to finish`,
  );
}

/** Wait for a job to end (succeeded, failed or cancelled) and return it. */
export async function jobToEnd(s: TestShipyard, id: string, timeoutMs = 60_000): Promise<any> {
  return waitFor(
    async () => {
      const j = await s.api("GET", `/jobs/${id}`);
      return ["succeeded", "failed", "cancelled"].includes(j.body.status) ? j.body : null;
    },
    timeoutMs,
    `job ${id} to finish`,
  );
}

/** Every event of an operation, oldest first. */
export async function operationEvents(s: TestShipyard, id: string): Promise<any[]> {
  return (await s.api("GET", `/operations/${id}/events?limit=5000`)).body.events as any[];
}
