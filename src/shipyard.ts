import type { ChildProcess } from "node:child_process";
import { promises as fs, readFileSync, rmSync } from "node:fs";
import { setMaxListeners } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import { DBOS } from "@dbos-inc/dbos-sdk";
import type { Config } from "./config.ts";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "./db/embedded.ts";
import { migrate } from "./db/migrate.ts";
import { createPool } from "./db/pool.ts";
import { newId } from "./domain/ids.ts";
import { createEngine, stopEngine } from "./engine/engine.ts";
import { kickDispatch } from "./jobs/dispatch.ts";
import { loadOrCreateKey, SecretBox } from "./secrets/box.ts";
import { createSecretStore } from "./secrets/store.ts";
import { EventHub } from "./events/hub.ts";
import { Notifier } from "./events/notifier.ts";
import type { Logger } from "./logger.ts";
import { RepeatFilter } from "./log-repeats.ts";
import { RUNNER_PATH } from "./runner/protocol.ts";
import { createApp } from "./server/app.ts";
import { ensureAdminToken, ensureRunnerToken, readAdminTokenFile, scrubTokens } from "./server/bootstrap.ts";
import { Metrics } from "./server/metrics.ts";
import { Revocations } from "./server/revocations.ts";
import { RunnerGateway } from "./server/runner-gateway.ts";
import { TaskTokens } from "./server/task-tokens.ts";
import { LocalRunner } from "./server/local-runner.ts";
import { modelAccessEnv } from "./server/model-proxy.ts";
import { createOutboundClient } from "./net/outbound-client.ts";
import { startTracing } from "./tracing/tracing.ts";
import { recoverExecutorWorkflows } from "./workers/dbos-recovery.ts";
import { WorkerLiveness } from "./workers/liveness.ts";

export interface StartOptions {
  /** Spawn the local runner process (default true). */
  localRunner?: boolean;
  /** Sandbox the local runner's steps (default true; false: `--no-sandbox`). */
  sandbox?: boolean;
  pingIntervalMs?: number;
  heartbeatMs?: number;
  /** After this process stopped because another worker took its workflows over (the CLI exits non-zero). */
  onFenced?: (reason: string) => void;
}

/** A started Shipyard: where it listens and how to stop it. */
export interface Shipyard {
  url: string;
  adminToken: string;
  adminTokenFile: string;
  databaseUrl: string;
  /** The local runner process as it is now (it is restarted when it dies). */
  readonly runner: ChildProcess | null;
  stop(): Promise<void>;
}

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "bin", "shipyard.js");

/**
 * `shipyard up`: the database (embedded unless DATABASE_URL), migrations, the DBOS engine, the API server
 * with the runner gateway, and one local runner process. Stopping reverses the order.
 */
export async function startShipyard(config: Config, log: Logger, opts: StartOptions = {}): Promise<Shipyard> {
  await fs.mkdir(config.dataDir, { recursive: true });
  await refuseIfRunning(config.dataDir);
  // Every process started from here (the embedded PostgreSQL, the local runner) inherits process.env.
  scrubTokens(process.env, [await readAdminTokenFile(config.dataDir)]);
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((err: Error) => log.warn({ err: err.message }, "shutdown step failed"));
  };
  // Last of all (and on any exit, a forced one too): a start right after this process is gone is not refused.
  const serverFile = path.join(config.dataDir, "server.json");
  const forget = () => forgetServerFile(serverFile);
  process.once("exit", forget);
  cleanups.push(async () => {
    process.removeListener("exit", forget);
    forget();
  });
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const t0 = Date.now();
      const db: EmbeddedDatabase = await startEmbeddedPostgres({ dir: path.join(config.dataDir, "pgdata"), port: config.pgPort, log });
      cleanups.push(() => db.stop());
      databaseUrl = db.url;
      log.info({ port: db.port, ms: Date.now() - t0 }, "embedded PostgreSQL started");
    }
    const poolErrors = new RepeatFilter();
    const pool = createPool(databaseUrl, 30, (err) => {
      const { pass, held } = poolErrors.check(err.message);
      if (pass) log.warn({ err: err.message, ...(held > 0 ? { repeated: held } : {}) }, "database connection error");
    });
    cleanups.push(() => pool.end());
    const applied = await migrate(pool);
    if (applied.length > 0) log.info({ applied }, "migrations applied");
    const { token: adminToken, file: adminTokenFile } = await ensureAdminToken(pool, config.dataDir);
    scrubTokens(process.env, [adminToken]);

    const notifier = new Notifier(databaseUrl, log);
    await notifier.start();
    cleanups.push(() => notifier.stop());
    const hub = new EventHub(pool, notifier, log);
    const revocations = new Revocations(pool, log);
    await revocations.start(notifier);
    const metrics = new Metrics(pool);
    let ready = false;
    const pingIntervalMs = opts.pingIntervalMs ?? config.pingIntervalMs;
    const secretKey = await loadOrCreateKey(config.dataDir, process.env);
    const box = new SecretBox(secretKey);
    const taskTokens = new TaskTokens(secretKey);
    const secrets = createSecretStore(pool, box);
    const outbound = createOutboundClient(config.urls);
    // Before the engine, whose spans it receives; stopped after it, so the last ones are sent.
    const tracing = config.tracing ? startTracing(config.tracing, { db: pool, log, executorId: config.executorId }) : null;
    if (tracing) cleanups.push(() => tracing.stop());
    // Workflows are registered now (DBOS is launched below, after the gateway listens); all that starts or
    // messages them is handed `workflows`.
    const engine = createEngine({ databaseUrl, pool, log, executorId: config.executorId, secrets, jobs: config.jobs, cassettesDir: config.cassettesDir, llmMetrics: metrics.llm, outbound, githubApiUrl: config.githubApiUrl, tracing: tracing !== null });
    const { workflows } = engine;
    const gateway = new RunnerGateway({
      pool,
      workflows,
      notifier,
      log,
      metrics,
      serverId: newId("srv"),
      pingIntervalMs,
      revocations,
      resolveSecret: secrets.get,
      modelAccessEnv: (t, access) => modelAccessEnv(pool, taskTokens, t, access),
      onRunnerAvailable: (id) => void kickDispatch({ pool, workflows }, [id]).catch((err: Error) => log.warn({ err: err.message }, "job dispatch failed")),
    });
    await gateway.start();

    // Before the engine: DBOS recovers this executor id's own workflows at launch, and the id's lock (held for
    // this process's life) keeps another worker from recovering them at the same time.
    const liveness = new WorkerLiveness({
      databaseUrl,
      executorId: config.executorId,
      log,
      recover: recoverExecutorWorkflows,
      ...config.workers,
      onFenced: (reason) => void stop().finally(() => opts.onFenced?.(reason)),
    });
    await liveness.start();
    cleanups.push(() => liveness.stop());
    await engine.start();
    cleanups.push(() => stopEngine());
    ready = true;

    // Streams and connections go first, while the engine and the database are still there: nothing is left
    // holding the HTTP server open, and no runner reports into a half-stopped server.
    const closing = new AbortController();
    // Every open event stream listens for it: thousands at once are expected, not a leak.
    setMaxListeners(0, closing.signal);
    const app = createApp({ pool, workflows, hub, log, metrics, secrets, taskTokens, outbound, revocations, cassettesDir: config.cassettesDir, heartbeatMs: opts.heartbeatMs ?? 15_000, isReady: () => ready && DBOS.isInitialized(), closing: closing.signal });
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    });
    server.on("upgrade", (req, socket, head) => {
      if (new URL(req.url ?? "/", "http://x").pathname === RUNNER_PATH) void gateway.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
    const port = (server.address() as AddressInfo).port;
    const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`;
    // Its own shared-pool runner token (the admin token never leaves this process), renewed when revoked.
    const local =
      opts.localRunner === false
        ? null
        : new LocalRunner({
            bin: BIN,
            serverUrl: url,
            dataDir: config.dataDir,
            slots: config.runnerSlots,
            sandbox: opts.sandbox !== false,
            log,
            token: async () => (await ensureRunnerToken(pool, config.dataDir)).token,
          });
    cleanups.push(async () => {
      ready = false;
      closing.abort();
      await Promise.all([gateway.stop(), closeHttp(server as Server), local?.stop(3500)]);
    });
    await fs.writeFile(serverFile, JSON.stringify({ url, pid: process.pid }, null, 2));

    if (local) await local.start();
    return {
      url,
      adminToken,
      adminTokenFile,
      databaseUrl,
      get runner() {
        return local?.child ?? null;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** How long open requests get to finish once the server stops listening, before their sockets are closed. */
const HTTP_GRACE_MS = 1500;

/** Stop listening and end every connection: each as soon as it is idle, busy ones at the end of a short grace. */
function closeHttp(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    // close() ends only the connections idle at that moment; a response finishing later (an event stream
    // that was just told to end) leaves its kept-alive connection open, so idle ones are swept until the end.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const grace = setTimeout(() => server.closeAllConnections(), HTTP_GRACE_MS);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(grace);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Remove server.json when it is this process's. */
function forgetServerFile(file: string): void {
  try {
    if ((JSON.parse(readFileSync(file, "utf8")) as { pid?: number }).pid === process.pid) rmSync(file, { force: true });
  } catch {
    // not there, or not ours to remove
  }
}

/** Two Shipyards on one data dir would fight over its PostgreSQL: refuse while the recorded one lives. */
async function refuseIfRunning(dataDir: string): Promise<void> {
  const text = await fs.readFile(path.join(dataDir, "server.json"), "utf8").catch(() => null);
  if (!text) return;
  let recorded: { pid?: number; url?: string };
  try {
    recorded = JSON.parse(text) as { pid?: number; url?: string };
  } catch {
    return;
  }
  if (!recorded.pid || recorded.pid === process.pid) return;
  const cmdline = await fs.readFile(`/proc/${recorded.pid}/cmdline`, "utf8").catch(() => "");
  if (cmdline.includes("shipyard")) {
    throw new Error(
      `Shipyard is already running on ${dataDir} (pid ${recorded.pid}, ${recorded.url ?? "unknown url"}); stop it first or set SHIPYARD_DATA_DIR to another directory`,
    );
  }
}
