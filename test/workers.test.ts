import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.ts";
import { freshDatabase } from "./helpers/database.ts";
import { BIN } from "./helpers/process.ts";
import { spawnRunner, type RunnerProcess } from "./helpers/runners.ts";
import { waitFor } from "./helpers/shipyard.ts";

// Two real `shipyard up --no-runner` processes on one PostgreSQL, each with its own executor id: the one that
// picked up a run is killed with -9, and the other takes its workflow over and finishes it.

interface Worker {
  id: string;
  child: ChildProcess;
  url: string;
  token: string;
  exited: Promise<number | null>;
  output: () => string;
}

let databaseUrl: string;
let db: pg.Client;
const workers: Worker[] = [];
let runner: RunnerProcess | null = null;

async function startWorker(id: string): Promise<Worker> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `shipyard-worker-${id}-`));
  const port = await freePort();
  let out = "";
  const child = spawn(process.execPath, [BIN, "up", "--no-runner"], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      SHIPYARD_EXECUTOR_ID: id,
      SHIPYARD_DATA_DIR: dataDir,
      SHIPYARD_PORT: String(port),
      SHIPYARD_LOG_LEVEL: "warn",
      SHIPYARD_WORKER_HEARTBEAT_MS: "300",
      SHIPYARD_WORKER_DEAD_AFTER_MS: "2000",
    },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`shipyard up (${id}) exited with ${child.exitCode}:\n${out}`);
      return out.includes("Shipyard is up");
    },
    60_000,
    `worker ${id} to be up`,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; its output:\n${out}`);
  });
  const token = (await fs.readFile(path.join(dataDir, "admin-token"), "utf8")).trim();
  const w = { id, child, url: `http://127.0.0.1:${port}`, token, exited, output: () => out };
  workers.push(w);
  return w;
}

async function api(w: Worker, method: string, route: string, body?: unknown): Promise<any> {
  const res = await fetch(`${w.url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${w.token}`, accept: "application/json", "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

const workflowOf = async (id: string) =>
  (await db.query<{ status: string; executor_id: string }>("select status, executor_id from dbos.workflow_status where workflow_uuid = $1", [id])).rows[0];

beforeAll(async () => {
  databaseUrl = await freshDatabase("workers");
  await Promise.all([startWorker("worker-a"), startWorker("worker-b")]);
  db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await runner?.stop();
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) process.kill(-w.child.pid!, "SIGKILL");
  await db?.end();
});

describe("two workers on one database", () => {
  it("a worker killed with -9 has its pending run taken over by the other, which finishes it", async () => {
    const [a, b] = workers as [Worker, Worker];
    // No runner anywhere yet: the run's workflow is picked up by one worker and waits there for its step.
    const run = await api(a, "POST", "/runs", { workflow: "name: handed-over\nsteps:\n  - id: hi\n    run: echo handed over\n" });
    const picked = await waitFor(async () => {
      const wf = await workflowOf(run.id);
      return wf?.status === "PENDING" && [a.id, b.id].includes(wf.executor_id) ? wf.executor_id : null;
    }, 30_000, "the run's workflow to be picked up");
    const [dead, survivor] = picked === a.id ? [a, b] : [b, a];

    process.kill(-dead.child.pid!, "SIGKILL");
    await dead.exited;
    await waitFor(async () => (await workflowOf(run.id))?.executor_id === survivor.id, 30_000, "the survivor to take the run's workflow");
    const row = (await db.query("select status, claimed_by, recovered_workflows from workers where executor_id = $1", [dead.id])).rows[0];
    expect(row).toMatchObject({ status: "dead", claimed_by: survivor.id });
    expect(row.recovered_workflows).toBeGreaterThanOrEqual(1);

    runner = await spawnRunner(survivor.url, survivor.token, "late");
    const done = await waitFor(async () => {
      const r = await api(survivor, "GET", `/runs/${run.id}`);
      return ["succeeded", "failed", "cancelled"].includes(r.status) ? r : null;
    }, 30_000, "the run to finish");
    expect(done.status).toBe("succeeded");
    const { events } = await api(survivor, "GET", `/operations/${run.id}/events?limit=1000`);
    expect(events.map((e: { seq: number }) => e.seq)).toEqual(events.map((_: unknown, i: number) => i + 1));
    expect(events.filter((e: { type: string }) => e.type === "log").map((e: { payload: { line: string } }) => e.payload.line)).toEqual(["handed over"]);
    expect(events.filter((e: { type: string }) => e.type === "complete")).toHaveLength(1);
  });

  it("a worker stopped with SIGTERM exits cleanly and is marked stopped, not dead", async () => {
    const survivor = workers.find((w) => w.child.exitCode === null && w.child.signalCode === null)!;
    await runner?.stop();
    runner = null;
    survivor.child.kill("SIGTERM");
    expect(await survivor.exited).toBe(0);
    const row = (await db.query("select status from workers where executor_id = $1", [survivor.id])).rows[0];
    expect(row).toEqual({ status: "stopped" });
  });
});
