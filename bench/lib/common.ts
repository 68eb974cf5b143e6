// Shared pieces of the benchmarks: start the real product, talk to it over HTTP/SSE, small statistics and
// the output format (a human-readable block, then one JSON line starting with {"bench": ...}).
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createParser } from "eventsource-parser";
import pg from "pg";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { startShipyard, type Shipyard, type StartOptions } from "../../src/shipyard.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = path.join(ROOT, "bin", "shipyard.js");

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Wall-clock time in milliseconds with sub-millisecond resolution (comparable with `date +%s%N`). */
export const wallMs = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------------------
// Cleanup: every benchmark registers what it created; run on normal exit, on error and on SIGINT/SIGTERM.

const cleanups: (() => Promise<void> | void)[] = [];

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

async function runCleanups(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`cleanup failed: ${(err as Error).message}\n`);
    }
  }
}

/** A temp dir removed at cleanup. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  // mkdtemp makes it 700; a data dir made by `shipyard up` is 755, and the postgres user must traverse it.
  chmodSync(dir, 0o755);
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Run a benchmark's body: a watchdog (so a hang cannot block run-all forever), cleanup on every path, and
 * exit 0 on success, 1 on error.
 */
export function main(name: string, body: () => Promise<void>, timeoutMs = 10 * 60_000): void {
  let finishing = false;
  const finish = async (code: number) => {
    if (finishing) return;
    finishing = true;
    await runCleanups();
    process.exit(code);
  };
  const watchdog = setTimeout(() => {
    process.stderr.write(`${name}: gave up after ${timeoutMs} ms\n`);
    void finish(1);
  }, timeoutMs);
  watchdog.unref();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      process.stderr.write(`${name}: ${sig}, cleaning up\n`);
      void finish(130);
    });
  }
  body().then(
    () => finish(0),
    (err: Error) => {
      process.stderr.write(`${name} failed: ${err.stack ?? err.message}\n`);
      void finish(1);
    },
  );
}

// ---------------------------------------------------------------------------------------------------------
// The product under test.

export interface BenchShipyard extends Shipyard {
  dataDir: string;
  api(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/**
 * A bare "remote" repository with one commit on main (a README), shared with the step sandbox's user (job and
 * deployment stages push to it as another user); removed at cleanup.
 */
export function bareRemote(prefix: string): string {
  const root = tempDir(prefix);
  const work = path.join(root, "work");
  const remote = path.join(root, "remote.git");
  mkdirSync(work);
  writeFileSync(path.join(work, "README.md"), "# bench fixture\n");
  const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@localhost", ...args], { cwd, stdio: "ignore" });
  git(work, "init", "-q", "-b", "main");
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "initial");
  git(root, "clone", "-q", "--bare", work, remote);
  git(remote, "config", "core.sharedRepository", "0777");
  execFileSync("chmod", ["-R", "a+rwX", remote]);
  chmodSync(root, 0o755);
  return remote;
}

/**
 * `startShipyard` as `shipyard up` would run it: embedded PostgreSQL in a fresh data dir (no DATABASE_URL)
 * and the real local runner process; waits until the runner is online. Stopped and removed at cleanup.
 */
export async function startBenchShipyard(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<BenchShipyard> {
  // The local runner inherits this environment: keep its logs quiet too.
  process.env.SHIPYARD_LOG_LEVEL ??= "warn";
  const dataDir = tempDir("shipyard-bench-");
  const config = loadConfig({ SHIPYARD_DATA_DIR: dataDir, SHIPYARD_PORT: "0", ...env });
  const shipyard = await startShipyard(config, createLogger(process.env.SHIPYARD_LOG_LEVEL), opts);
  onCleanup(() => shipyard.stop());
  const api: BenchShipyard["api"] = async (method, route, body) => {
    const res = await fetch(`${shipyard.url}/api/v1${route}`, {
      method,
      headers: {
        authorization: `Bearer ${shipyard.adminToken}`,
        accept: "application/json",
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  };
  const s: BenchShipyard = Object.assign(shipyard, { dataDir, api });
  if (opts.localRunner !== false) {
    await waitUntil(async () => (await api("GET", "/runners")).body.runners.some((r: { status: string }) => r.status === "online"), 30_000, "the local runner");
  }
  return s;
}

/** Start a run; returns its id. */
export async function submitRun(s: BenchShipyard, workflow: string, inputs: Record<string, unknown> = {}): Promise<string> {
  const res = await s.api("POST", "/runs", { workflow, inputs });
  if (res.status !== 201) throw new Error(`POST /runs answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

export async function waitUntil<T>(check: () => Promise<T | false | null | undefined>, timeoutMs: number, what: string, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** An event as received over SSE, with the client's receive time. */
export interface ReceivedEvent {
  seq: number;
  type: string;
  payload: Record<string, any>;
  /** Server time the event was written (the writing transaction's now()). */
  time: string;
  /** wallMs() when the client parsed the frame. */
  receivedAt: number;
}

/** Follow an operation's SSE stream from the start until the server ends it (after `complete`). */
export async function followEvents(s: BenchShipyard, operationId: string, onEvent?: (e: ReceivedEvent) => void): Promise<ReceivedEvent[]> {
  const events: ReceivedEvent[] = [];
  const res = await fetch(`${s.url}/api/v1/operations/${operationId}/events`, {
    headers: { authorization: `Bearer ${s.adminToken}`, accept: "text/event-stream" },
  });
  if (res.status !== 200 || !res.body) throw new Error(`SSE answered ${res.status}`);
  const parser = createParser({
    onEvent: (m) => {
      const receivedAt = wallMs();
      const e = JSON.parse(m.data) as Omit<ReceivedEvent, "receivedAt">;
      const ev = { ...e, receivedAt };
      events.push(ev);
      onEvent?.(ev);
    },
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parser.feed(decoder.decode(r.value, { stream: true }));
  const last = events.at(-1);
  if (last?.type !== "complete") throw new Error(`SSE stream of ${operationId} ended without a complete event`);
  return events;
}

// ---------------------------------------------------------------------------------------------------------
// Child processes (DBOS is a process singleton: separate measurements need separate processes).

/** Run a TypeScript file under tsx as a child process; resolves with its stdout (stderr is passed through). */
export function runTsChild(file: string, args: string[], env: Record<string, string> = {}, timeoutMs = 5 * 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", file, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const stopChild = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    };
    onCleanup(stopChild);
    const timer = setTimeout(() => {
      stopChild();
      reject(new Error(`${path.basename(file)} ${args.join(" ")} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(file)} ${args.join(" ")} exited with ${code ?? signal}:\n${out}`));
    });
  });
}

/** The last `{"bench": ...}` JSON line in a child's stdout. */
export function lastJsonLine(out: string): Record<string, any> {
  const line = out
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("{"));
  if (!line) throw new Error(`no JSON line in:\n${out}`);
  return JSON.parse(line) as Record<string, any>;
}

// ---------------------------------------------------------------------------------------------------------
// Statistics and output.

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Round to `digits` decimals (for printing and the JSON line). */
export function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Print the human-readable block and the JSON line (the JSON line is what run-all reads). */
export function report(name: string, lines: string[], figures: Record<string, unknown>): void {
  process.stdout.write([`== ${name} ==`, ...lines.map((l) => `  ${l}`), JSON.stringify({ bench: name, ...figures }), ""].join("\n"));
}

// ---------------------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc): which process spent the CPU during a measurement.

const CLK_TCK = 100;

/** [own user+system, reaped children's user+system] CPU seconds of a process, or null when it is gone. */
export function procCpu(pid: number): { own: number; children: number; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const n = (i: number) => Number(f[i] ?? 0);
    return { ppid: n(1), own: (n(11) + n(12)) / CLK_TCK, children: (n(13) + n(14)) / CLK_TCK };
  } catch {
    return null;
  }
}

/** CPU seconds used so far by this process (client and server), the local runner (with its bash steps) and PostgreSQL. */
export interface CpuSnapshot {
  node: number;
  runner: number;
  postgres: number;
}

export function cpuSnapshot(s: BenchShipyard): CpuSnapshot {
  const me = process.cpuUsage();
  const runnerPid = s.runner?.pid;
  const r = runnerPid ? procCpu(runnerPid) : null;
  let postgres = 0;
  const pidText = (() => {
    try {
      return readFileSync(path.join(s.dataDir, "pgdata", "postmaster.pid"), "utf8");
    } catch {
      return "";
    }
  })();
  const postmaster = Number.parseInt(pidText.split("\n")[0] ?? "", 10);
  if (Number.isInteger(postmaster) && postmaster > 0) {
    const pm = procCpu(postmaster);
    // Backends that exited are in the postmaster's children figure; live ones are counted one by one.
    if (pm) postgres += pm.own + pm.children;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const c = procCpu(Number(entry));
      if (c?.ppid === postmaster) postgres += c.own;
    }
  }
  return { node: (me.user + me.system) / 1e6, runner: r ? r.own + r.children : 0, postgres };
}

/** CPU seconds per component between two snapshots, and how many cores that kept busy over `wallMs`. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot, wallMs: number, nodeLabel = "server+client process") {
  const node = b.node - a.node;
  const runner = b.runner - a.runner;
  const postgres = b.postgres - a.postgres;
  const total = node + runner + postgres;
  return {
    nodeS: round(node, 2),
    runnerS: round(runner, 2),
    postgresS: round(postgres, 2),
    coresBusy: round(total / (wallMs / 1000), 2),
    text: `CPU: ${nodeLabel} ${round(node, 2)} s, runner+bash ${round(runner, 2)} s, PostgreSQL ${round(postgres, 2)} s = ${round(total / (wallMs / 1000), 2)} of ${os.cpus().length} cores busy`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// SQL statement counting (diagnostic): every statement this process sends — Shipyard's pool, its LISTEN
// client and DBOS all use the same `pg` module — goes through Client.prototype.query.

let statements = 0;
let counting = false;

/** Start counting statements sent by this process; returns a reader of the running total. */
export function countStatements(): () => number {
  if (!counting) {
    counting = true;
    const proto = pg.Client.prototype as any;
    const original = proto.query as (...args: any[]) => any;
    proto.query = function (this: unknown, ...args: any[]) {
      statements += 1;
      return original.apply(this, args);
    };
  }
  return () => statements;
}
