// Shipyard split over one PostgreSQL, as real processes: two `shipyard server`s, two `shipyard worker`s and two
// runners (one per server). 100 runs and 10 jobs are in flight when one worker and one server are killed with -9;
// the other worker takes the dead one's workflows over, the orphaned runner comes back through the other server,
// and every run and job finishes exactly once, its event stream gap-free, no job running twice at once.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.ts";
import { freshDatabase } from "./helpers/database.ts";
import { ADD_MUL_PATCH, makeFixtureRemote } from "./helpers/git-fixture.ts";
import { BIN } from "./helpers/process.ts";
import { spawnRunner, type RunnerProcess } from "./helpers/runners.ts";
import { waitFor } from "./helpers/shipyard.ts";

interface Proc {
  name: string;
  child: ChildProcess;
  dataDir: string;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

const RUNS = 100;
const JOBS = 10;
const procs: Proc[] = [];
const runners: RunnerProcess[] = [];
let env: Record<string, string>;
let db: pg.Client;

/** Spawn `shipyard server` or `shipyard worker` and wait until it says it is up. */
async function start(role: "server" | "worker", name: string): Promise<Proc> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `shipyard-${name}-`));
  const port = role === "server" ? await freePort() : 0;
  let out = "";
  const child = spawn(process.execPath, [BIN, role], {
    env: { ...process.env, ...env, SHIPYARD_DATA_DIR: dataDir, SHIPYARD_PORT: String(port), SHIPYARD_EXECUTOR_ID: name },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`shipyard ${role} ${name} exited with ${child.exitCode}:\n${out}`);
    return out.includes(`Shipyard ${role} is up`);
  }, 60_000, `${role} ${name} to be up`);
  const p = { name, child, dataDir, url: `http://127.0.0.1:${port}`, output: () => out, exited };
  procs.push(p);
  return p;
}

async function api(server: Proc, token: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const kill9 = async (p: Proc) => {
  process.kill(-p.child.pid!, "SIGKILL");
  await p.exited;
};

beforeAll(async () => {
  env = {
    DATABASE_URL: await freshDatabase("scale"),
    SHIPYARD_SECRET_KEY: randomBytes(32).toString("base64"),
    SHIPYARD_LOG_LEVEL: "warn",
    SHIPYARD_WORKER_HEARTBEAT_MS: "500",
    SHIPYARD_WORKER_DEAD_AFTER_MS: "2000",
    SHIPYARD_PING_INTERVAL_MS: "500",
  };
  db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  for (const r of runners) await r.stop().catch(() => undefined);
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) await kill9(p).catch(() => undefined);
});

describe("servers and workers on one PostgreSQL", () => {
  it("finish every run and job exactly once when a worker and a server are killed mid-flight", async () => {
    // The workers first (one of them creates DBOS's schema, which the servers' clients need), each pair at once.
    const [w1, w2] = await Promise.all([start("worker", "worker-1"), start("worker", "worker-2")]);
    const [s1, s2] = await Promise.all([start("server", "server-1"), start("server", "server-2")]);
    const token = (await fs.readFile(path.join(s2.dataDir, "admin-token"), "utf8")).trim();
    const runnerToken = (await api(s2, token, "POST", "/tokens", { name: "pool", role: "runner", shared: true })).body.token as string;
    runners.push(await spawnRunner(s1.url, runnerToken, "runner-1", 4), await spawnRunner(s2.url, runnerToken, "runner-2", 4));
    await waitFor(async () => (await api(s2, token, "GET", "/runners")).body.runners.filter((r: any) => r.status === "online").length === 2, 30_000, "both runners");

    const fixture = await makeFixtureRemote();
    const project = await api(s2, token, "POST", "/projects", { name: "math", repo: fixture.remote, verify: ["bash test.sh"] });
    expect(project.status).toBe(201);
    const workflow = "name: fanout\nsteps:\n  - id: a\n    run: echo a\n  - id: b\n    needs: a\n    run: sleep 0.2; echo b\n  - id: c\n    needs: b\n    run: echo c\n";
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const created = await api(i % 2 ? s1 : s2, token, "POST", "/runs", { workflow });
      expect(created.status).toBe(201);
      runIds.push(created.body.id);
    }
    const jobIds: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      const created = await api(s2, token, "POST", "/jobs", { projectId: project.body.id, prompt: `Add mul() #${i}`, executor: { type: "patch", diff: ADD_MUL_PATCH } });
      expect(created.status).toBe(201);
      jobIds.push(created.body.id);
    }

    // Mid-flight: a worker and a server die; the runner of the dead server comes back through the other one.
    await waitFor(async () => (await api(s2, token, "GET", "/runs?status=succeeded&limit=100")).body.runs.length >= 10, 120_000, "the first runs to finish");
    const inFlight = await db.query("select count(*)::int as n from dbos.workflow_status where executor_id = 'worker-1' and status = 'PENDING'");
    await kill9(w1);
    await kill9(s1);
    await runners[0]!.stop();
    runners.push(await spawnRunner(s2.url, runnerToken, "runner-1", 4));

    // Watched in the database first: 110 API reads every 50 ms would take the CPU from the processes under test.
    const settled = (ids: string[]) =>
      waitFor(async () => {
        const { rows } = await db.query("select count(*)::int as n from operations where id = any($1) and status in ('succeeded', 'failed', 'cancelled')", [ids]);
        return rows[0].n === ids.length;
      }, 180_000, "every operation to end");
    await settled([...runIds, ...jobIds]);
    const finished = (ids: string[], route: string) =>
      waitFor(async () => {
        const all = await Promise.all(ids.map(async (id) => (await api(s2, token, "GET", `/${route}/${id}`)).body));
        return all.every((x) => ["succeeded", "failed", "cancelled"].includes(x.status)) ? all : null;
      }, 180_000, `every ${route} to finish`);
    const runs = await finished(runIds, "runs");
    const jobs = await finished(jobIds, "jobs");
    expect(runs.filter((r) => r.status !== "succeeded").map((r) => [r.id, r.status, r.error])).toEqual([]);
    expect(jobs.filter((j) => j.status !== "succeeded").map((j) => [j.id, j.status, j.error])).toEqual([]);

    for (const id of [...runIds, ...jobIds]) {
      const events = (await api(s2, token, "GET", `/operations/${id}/events?limit=5000`)).body.events as { seq: number; type: string; payload: any }[];
      expect(events.map((e) => e.seq), id).toEqual(events.map((_, i) => i + 1));
      expect(events.filter((e) => e.type === "complete"), id).toHaveLength(1);
      if (!jobIds.includes(id)) continue;
      // One attempt at a time: once an attempt's stage appears, no other attempt's does until it ended.
      let active: number | null = null;
      for (const e of events) {
        if (e.type === "stage") {
          expect(active === null || active === e.payload.attempt, `${id}: attempt ${e.payload.attempt} while ${active} ran`).toBe(true);
          active = e.payload.attempt;
        }
        if (e.type === "status" && e.payload.status === "queued") active = null;
      }
    }
    // Each job's branch landed once, as one commit on top of main.
    for (const j of jobs) expect(fixture.git("rev-list", "--count", `main..${j.branch}`)).toBe("1");
    // The kill came mid-flight, and worker-2 took worker-1's pending workflows over.
    expect(inFlight.rows[0].n).toBeGreaterThan(0);
    const dead = (await db.query("select status, claimed_by, recovered_workflows from workers where executor_id = 'worker-1'")).rows[0];
    expect(dead).toMatchObject({ status: "dead", claimed_by: "worker-2" });
    expect(dead.recovered_workflows).toBeGreaterThan(0);
    expect(w2.child.exitCode).toBeNull();
    expect(s2.child.exitCode).toBeNull();
  }, 300_000);
});
