import { spawn, type ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../src/db/embedded.ts";
import { waitFor } from "./shipyard.ts";

export const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "shipyard.js");

/** A `shipyard up` running as a real child process in a process group of its own. */
export interface UpProcess {
  child: ChildProcess;
  url: string;
  token: string;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Ports for a data dir that must stay the same across restarts. They are taken below the kernel's ephemeral range:
 * a port from it (what binding port 0 gives) can be taken, while its process is down, by any outgoing connection
 * on the machine as its local port, and the restart then fails with EADDRINUSE (seen in CI).
 */
export async function reservePorts(): Promise<{ port: number; pgPort: number }> {
  const port = await stablePort();
  let pgPort = await stablePort();
  while (pgPort === port) pgPort = await stablePort();
  return { port, pgPort };
}

/** A free port below the ephemeral range. */
async function stablePort(): Promise<number> {
  const range = await fs.readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8").catch(() => "32768 60999");
  const low = Number(range.trim().split(/\s+/)[0]) || 32768;
  for (let tries = 0; tries < 50; tries++) {
    const port = 10_000 + Math.floor(Math.random() * Math.max(1, low - 10_000));
    if (await canBind(port)) return port;
  }
  return freePort();
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** Spawn `shipyard up` and wait until /readyz answers 200. */
export async function startUp(dataDir: string, ports: { port: number; pgPort: number }, extraEnv: Record<string, string> = {}): Promise<UpProcess> {
  let out = "";
  const child = spawn(process.execPath, [BIN, "up"], {
    env: {
      ...process.env,
      SHIPYARD_DATA_DIR: dataDir,
      SHIPYARD_PORT: String(ports.port),
      SHIPYARD_PG_PORT: String(ports.pgPort),
      SHIPYARD_LOG_LEVEL: "warn",
      SHIPYARD_RUNNER_SLOTS: "4",
      ...extraEnv,
    },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${ports.port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`shipyard up exited with ${child.exitCode}:\n${out}`);
      const res = await fetch(`${url}/readyz`).catch(() => null);
      if (res?.status !== 200) return false;
      // The local runner connects just after the server is ready.
      return out.includes("Shipyard is up");
    },
    60_000,
    "shipyard up to be ready",
  );
  const token = (await fs.readFile(path.join(dataDir, "admin-token"), "utf8")).trim();
  return { child, url, token, output: () => out, exited };
}

/** Every live descendant of a process, read from /proc (children before their parents are gone). */
async function descendantsOf(root: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const name of await fs.readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await fs.readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    // Field 4 is the parent pid; the command name before it may hold spaces, so read after its closing paren.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (Number.isFinite(ppid)) parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
  }
  const found: number[] = [];
  const walk = (pid: number) => (parents.get(pid) ?? []).forEach((c) => (found.push(c), walk(c)));
  walk(root);
  return found;
}

// A zombie has stopped running; in a container whose init never reaps, it would otherwise look alive for ever.
const alive = async (pid: number) => {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat !== "" && stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
};

/**
 * SIGKILL a process's whole tree (the server, its runner, its PostgreSQL, and the steps, which run in process
 * groups of their own) and wait until every one is gone, as a process manager killing a control group does.
 * Waiting matters: a step that outlived the kill by a moment would still write what the test releases next.
 */
export async function killGroup(p: UpProcess): Promise<void> {
  const tree = await descendantsOf(p.child.pid!);
  process.kill(-p.child.pid!, "SIGKILL");
  for (const pid of tree) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await p.exited;
  await waitFor(async () => !(await Promise.all(tree.map(alive))).some(Boolean), 10_000, "every process of the killed tree to be gone");
}

/** A `shipyard up` on one data dir that a crash test kills and starts again, with its API as the admin. */
export interface CrashableUp {
  /** The process running now (the last started). */
  readonly up: UpProcess;
  readonly dataDir: string;
  /** Start `shipyard up` again on the same data dir and ports. */
  start(): Promise<void>;
  /** kill -9 of the running process tree (see killGroup). */
  kill(): Promise<void>;
  /** A JSON request to the running server's API. */
  api(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Every event of an operation, as the running server has them. */
  events(operationId: string): Promise<any[]>;
  /** Kill whatever is still running (afterAll). */
  cleanup(): Promise<void>;
}

/** A fresh data dir (named from `prefix`) with `shipyard up` started on it under `env`. */
export async function crashableUp(prefix: string, env: Record<string, string> = {}): Promise<CrashableUp> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const ports = await reservePorts();
  const procs: UpProcess[] = [];
  const current = () => procs[procs.length - 1]!;
  const api: CrashableUp["api"] = async (method, route, body) => {
    const p = current();
    const res = await fetch(`${p.url}/api/v1${route}`, {
      method,
      headers: { authorization: `Bearer ${p.token}`, "content-type": "application/json", accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const start = async () => {
    procs.push(await startUp(dataDir, ports, env));
  };
  await start();
  return {
    get up() {
      return current();
    },
    dataDir,
    start,
    kill: () => killGroup(current()),
    api,
    events: async (id) => (await api("GET", `/operations/${id}/events?limit=5000`)).body.events,
    async cleanup() {
      for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) await killGroup(p).catch(() => undefined);
    },
  };
}
