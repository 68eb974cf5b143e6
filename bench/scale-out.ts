// Shipyard split over one PostgreSQL, as real processes: one `shipyard server`, N `shipyard worker`s and one
// runner (32 slots). (1) Throughput: 200 one-step runs POSTed at once, with 1 worker and then with 2 workers on
// the same PostgreSQL. (2) Takeover: 20 runs whose step sleeps 3 s are in flight on worker-1 when it is killed with
// -9; the time until worker-2 has taken its workflows over (the `workers` row says so), and until every run ended.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { freePort, startEmbeddedPostgres } from "../src/db/embedded.ts";
import { createLogger } from "../src/logger.ts";
import { BIN, main, onCleanup, report, round, sleep, tempDir, waitUntil, wallMs } from "./lib/common.ts";

interface Proc {
  child: ChildProcess;
  dataDir: string;
  url: string;
}

const RUNS = 200;

async function spawnRole(role: "server" | "worker" | "runner", env: Record<string, string>, args: string[] = []): Promise<Proc> {
  const dataDir = tempDir(`shipyard-bench-${role}-`);
  const port = role === "server" ? await freePort() : 0;
  let out = "";
  const child = spawn(process.execPath, [BIN, role, ...args], {
    env: { ...process.env, ...env, SHIPYARD_DATA_DIR: dataDir, SHIPYARD_PORT: String(port), SHIPYARD_LOG_LEVEL: "error" },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
  });
  if (role !== "runner") {
    await waitUntil(async () => {
      if (child.exitCode !== null) throw new Error(`${role} exited:\n${out}`);
      return out.includes(`Shipyard ${role} is up`);
    }, 60_000, `${role} to be up`);
  }
  return { child, dataDir, url: `http://127.0.0.1:${port}` };
}

/** One server, `workers` workers and one runner on a fresh database; returns how to call its API. */
async function cluster(workers: number) {
  const pgDir = tempDir("shipyard-bench-pg-");
  const db = await startEmbeddedPostgres({ dir: path.join(pgDir, "pgdata"), port: 0, database: "shipyard", log: createLogger("warn") });
  onCleanup(() => db.stop());
  const env = {
    DATABASE_URL: db.url,
    SHIPYARD_SECRET_KEY: randomBytes(32).toString("base64"),
    SHIPYARD_WORKER_HEARTBEAT_MS: "500",
    SHIPYARD_WORKER_DEAD_AFTER_MS: "2000",
  };
  const ws: Proc[] = [];
  for (let i = 1; i <= workers; i++) ws.push(await spawnRole("worker", { ...env, SHIPYARD_EXECUTOR_ID: `worker-${i}` }));
  const server = await spawnRole("server", { ...env, SHIPYARD_EXECUTOR_ID: "server" });
  const token = readFileSync(path.join(server.dataDir, "admin-token"), "utf8").trim();
  const api = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.json() as Promise<any>;
  };
  const runnerToken = (await api("POST", "/tokens", { name: "pool", role: "runner", shared: true })).token as string;
  await spawnRole("runner", {}, ["--server", server.url, "--token", runnerToken, "--name", "bench", "--slots", "32"]);
  await waitUntil(async () => (await api("GET", "/runners")).runners.some((r: any) => r.status === "online"), 30_000, "the runner");
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  onCleanup(() => sql.end());
  return { api, workers: ws, sql };
}

const ended = (s: string) => ["succeeded", "failed", "cancelled"].includes(s);

/** POST `n` runs at once and wait until all have ended; runs per second. */
async function batch(api: (m: string, r: string, b?: unknown) => Promise<any>, workflow: string, n: number): Promise<number> {
  const t0 = wallMs();
  const ids = (await Promise.all(Array.from({ length: n }, () => api("POST", "/runs", { workflow })))).map((r) => r.id as string);
  await waitUntil(async () => {
    const runs = (await api("GET", `/runs?limit=${Math.min(n + 50, 500)}`)).runs as { id: string; status: string }[];
    const status = new Map(runs.map((r) => [r.id, r.status]));
    return ids.every((id) => ended(status.get(id) ?? ""));
  }, 300_000, "the batch", 50);
  return (n * 1000) / (wallMs() - t0);
}

main("scale-out", async () => {
  const oneStep = 'name: one\nsteps:\n  - id: only\n    run: "true"\n';
  const lines: string[] = [];
  const figures: Record<string, number> = {};
  for (const workers of [1, 2]) {
    const c = await cluster(workers);
    await batch(c.api, oneStep, 20); // warm-up
    const rate = await batch(c.api, oneStep, RUNS);
    figures[`runsPerSec_workers${workers}`] = round(rate, 1);
    lines.push(`${RUNS} one-step runs through 1 server, ${workers} worker(s), 1 runner (32 slots): ${round(rate, 1)} runs/s`);
    if (workers !== 2) continue;
    // Takeover: runs in flight on worker-1 when it dies.
    const slow = 'name: slow\nsteps:\n  - id: nap\n    run: sleep 3\n';
    const ids = (await Promise.all(Array.from({ length: 20 }, () => c.api("POST", "/runs", { workflow: slow })))).map((r) => r.id as string);
    await waitUntil(async () => Number((await c.sql.query("select count(*) from dbos.workflow_status where executor_id = 'worker-1' and status = 'PENDING'")).rows[0].count) > 0, 30_000, "runs on worker-1");
    await sleep(500);
    const killedAt = wallMs();
    process.kill(-c.workers[0]!.child.pid!, "SIGKILL");
    await waitUntil(async () => (await c.sql.query("select recovered_at from workers where executor_id = 'worker-1' and recovered_at is not null")).rowCount === 1, 120_000, "the takeover", 20);
    const takeoverMs = wallMs() - killedAt;
    await waitUntil(async () => {
      const runs = (await c.api("GET", "/runs?limit=100")).runs as { id: string; status: string }[];
      return ids.every((id) => ended(runs.find((r) => r.id === id)?.status ?? ""));
    }, 120_000, "the slow runs", 50);
    const doneMs = wallMs() - killedAt;
    const recovered = (await c.sql.query("select recovered_workflows from workers where executor_id = 'worker-1'")).rows[0].recovered_workflows;
    figures.takeoverMs = round(takeoverMs, 0);
    figures.takeoverRecovered = Number(recovered);
    figures.inFlightDoneMs = round(doneMs, 0);
    lines.push(
      `worker-1 killed with 20 three-second runs in flight: worker-2 took over ${recovered} workflows ${round(takeoverMs, 0)} ms later ` +
        `(heartbeat 500 ms, dead after 2000 ms); all 20 ended ${round(doneMs, 0)} ms after the kill`,
    );
  }
  figures.ratio2to1 = round(figures.runsPerSec_workers2! / figures.runsPerSec_workers1!, 2);
  report("scale-out", lines, figures);
});
