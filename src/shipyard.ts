import type { ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import { setMaxListeners } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DBOS } from "@dbos-inc/dbos-sdk";
import type { Config } from "./config.ts";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "./db/embedded.ts";
import { migrate } from "./db/migrate.ts";
import { createPool, type Pool } from "./db/pool.ts";
import { ClientWorkflows } from "./engine/client-control.ts";
import type { WorkflowControl } from "./engine/control.ts";
import type { SecretStore } from "./secrets/store.ts";
import type { OutboundClient } from "./net/outbound-client.ts";
import { closeHttp, forgetServerFile, refuseIfRunning } from "./server/process-files.ts";
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
import { createEventsSocket, EVENTS_SOCKET_PATH } from "./server/events-socket.ts";
import { createApp } from "./server/app.ts";
import { listenApi } from "./server/api-listener.ts";
import { apiRequestHandler } from "./deployments/connect/handler.ts";
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
import { startPreviewHost } from "./previews/host.ts";
import { closePreviewBrowser } from "./previews/check.ts";
import { previewUrls, PreviewUrlsRef } from "./previews/urls.ts";
import { loadCatalogue } from "./projects/templates.ts";
import { startBuild } from "./builds/service.ts";
import { TaskHandoff } from "./tasks/handoff.ts";
import { announcingMessages, RunWakes } from "./runs/wake.ts";
import { OwnApi } from "./server/own-api.ts";
import { StepApiTokens } from "./tokens/step-tokens.ts";
import { findLiveToken } from "./tokens/store.ts";
import { issueSignInCode } from "./web-sessions/service.ts";
import { WEB_DIST_DIR, webUiBuilt } from "./server/web-ui.ts";

export interface StartOptions {
  /**
   * What this process does: `all` (`shipyard up`: the API, the workflows and a local runner), `server` (the
   * API, event streams and the runner gateway, no workflows) or `worker` (the workflows and queues, no HTTP).
   */
  role?: "all" | "server" | "worker";
  /** Spawn the local runner process (default true; `up` only). */
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
  /** The preview host's port (0 in a worker, which serves none). */
  previewPort: number;
  /** A one-time link that signs a browser in to the admin's workspace (as an owner, never as the admin); "" in a worker. */
  signInUrl(): Promise<string>;
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
  const role = opts.role ?? "all";
  const servesHttp = role !== "worker";
  const runsWorkflows = role !== "server";
  if (role !== "all" && !config.databaseUrl) {
    throw new Error(`shipyard ${role} needs DATABASE_URL: the PostgreSQL every server and worker shares (\`shipyard up\` runs an embedded one)`);
  }
  await fs.mkdir(config.dataDir, { recursive: true });
  if (servesHttp) await refuseIfRunning(config.dataDir);
  // Every process started from here (the embedded PostgreSQL, the local runner) inherits process.env.
  scrubTokens(process.env, [await readAdminTokenFile(config.dataDir)]);
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((err: Error) => log.warn({ err: err.message }, "shutdown step failed"));
  };
  // Last of all (and on any exit, a forced one too): a start right after this process is gone is not refused.
  const serverFile = path.join(config.dataDir, "server.json");
  const forget = () => forgetServerFile(serverFile);
  if (servesHttp) {
    process.once("exit", forget);
    cleanups.push(async () => {
      process.removeListener("exit", forget);
      forget();
    });
  }
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
    const onPoolError = (err: Error) => {
      const { pass, held } = poolErrors.check(err.message);
      if (pass) log.warn({ err: err.message, ...(held > 0 ? { repeated: held } : {}) }, "database connection error");
    };
    const pool = createPool(databaseUrl, 30, onPoolError);
    cleanups.push(() => pool.end());
    // Many processes may start on one database at once: migrate serialises itself (an advisory lock).
    const applied = await migrate(pool);
    if (applied.length > 0) log.info({ applied }, "migrations applied");
    const notifier = new Notifier(databaseUrl, log);
    await notifier.start();
    cleanups.push(() => notifier.stop());
    const metrics = new Metrics(pool);
    const secretKey = await loadOrCreateKey(config.dataDir, process.env);
    const secrets = createSecretStore(pool, new SecretBox(secretKey));
    const outbound = createOutboundClient(config.urls);
    // In `up` the advances and the gateway share this process: a placed task goes to the gateway directly.
    const handoff = new TaskHandoff();
    // Run workflows of this process wait here for results and messages; after the engine stops, their waits stay open.
    const wakes = new RunWakes(pool);
    cleanups.push(async () => wakes.close());
    // http steps call the API of this process (`up`); a worker serves none (see the README, "API trees").
    const ownApi = new OwnApi(new StepApiTokens(secretKey));
    if (!servesHttp && config.apiUrl) ownApi.serve(config.apiUrl);
    else if (!servesHttp) ownApi.refuse("this worker knows no Shipyard API to call: set SHIPYARD_API_URL to a server's URL");
    const base = { config, log, pool, onPoolError, databaseUrl, notifier, metrics, secrets, outbound, handoff, wakes, ownApi, previewUrls: new PreviewUrlsRef(previewUrls(config.previews)), cleanups, stop };

    // Workflows are registered before anything can start or message them; DBOS itself launches below (after the
    // gateway listens). A server that runs none reaches them through DBOS's client instead.
    const engine = runsWorkflows ? prepareEngine(base, opts) : null;
    let workflows: WorkflowControl;
    if (engine) {
      workflows = engine.workflows;
    } else {
      await waitForDbosSchema(pool, log);
      const client = await ClientWorkflows.open(databaseUrl);
      cleanups.push(() => client.close());
      workflows = announcingMessages(client, wakes);
    }
    let ready = !runsWorkflows;
    const startEngine = async () => {
      if (!engine) return;
      await engine.start();
      ready = true;
    };
    // The gateway listens for dispatch notifications before DBOS launches (and recovers work that sends them);
    // the API listens only once workflows can be started.
    const http = servesHttp ? await startHttpSide(base, opts, { secretKey, workflows, beforeListen: startEngine, isReady: () => ready && (!runsWorkflows || DBOS.isInitialized()) }) : null;
    if (!http) await startEngine();
    if (http) await fs.writeFile(serverFile, JSON.stringify({ url: http.url, pid: process.pid }, null, 2));
    if (http?.local) await http.local.start();
    const local = http?.local ?? null;
    return {
      url: http?.url ?? "",
      adminToken: http?.adminToken ?? "",
      adminTokenFile: http?.adminTokenFile ?? "",
      databaseUrl,
      previewPort: http?.previewPort ?? 0,
      signInUrl: async () => (http ? `${http.url}/signin?code=${await issueSignInCode(pool, http.workspaceId)}` : ""),
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

/** What every part of a Shipyard process shares. */
interface Base {
  config: Config;
  log: Logger;
  pool: Pool;
  /** What a pool of this process does with an idle connection's error. */
  onPoolError: (err: Error) => void;
  databaseUrl: string;
  notifier: Notifier;
  metrics: Metrics;
  secrets: SecretStore;
  outbound: OutboundClient;
  /** The preview URLs: configured ones, then the preview host's once it listens (up, server). */
  previewUrls: PreviewUrlsRef;
  handoff: TaskHandoff;
  wakes: RunWakes;
  /** This process's API as its http steps call it. */
  ownApi: OwnApi;
  cleanups: (() => Promise<void>)[];
  stop: () => Promise<void>;
}

/**
 * The workflow side (`up`, `worker`): tracing, the engine with its workflows registered, and this executor's
 * liveness; `start` launches DBOS (recovering this executor id's own pending workflows).
 */
function prepareEngine(b: Base, opts: StartOptions): { workflows: WorkflowControl; start(): Promise<void> } {
  const { config, log, pool, databaseUrl } = b;
  // Before the engine, whose spans it receives; stopped after it, so the last ones are sent.
  // The preview checks' Chromium, when one is still open.
  b.cleanups.push(closePreviewBrowser);
  const tracing = config.tracing ? startTracing(config.tracing, { db: pool, log, executorId: config.executorId }) : null;
  if (tracing) b.cleanups.push(() => tracing.stop());
  const engine = createEngine({
    databaseUrl, pool, log, executorId: config.executorId, secrets: b.secrets, jobs: config.jobs, cassettesDir: config.cassettesDir,
    llmMetrics: b.metrics.llm, outbound: b.outbound, githubApiUrl: config.githubApiUrl, dataDir: config.dataDir, previewUrls: b.previewUrls, tracing: tracing !== null, notifier: b.notifier,
    webhookRetrySchedule: config.webhookRetrySchedule,
    runnerLostAfterMs: config.runnerLostAfterMs,
    handoff: b.handoff,
    ownApi: b.ownApi,
    wakes: b.wakes,
  });
  return {
    workflows: engine.workflows,
    async start() {
      // The executor id's lock (held for this process's life) keeps another worker from recovering its
      // workflows while DBOS recovers them here at launch.
      const liveness = new WorkerLiveness({
        databaseUrl,
        executorId: config.executorId,
        log,
        recover: recoverExecutorWorkflows,
        ...config.workers,
        onFenced: (reason) => void b.stop().finally(() => opts.onFenced?.(reason)),
      });
      await liveness.start();
      b.cleanups.push(() => liveness.stop());
      await engine.start();
      b.cleanups.push(() => stopEngine());
    },
  };
}

/** Connections of the runner gateway, besides the process's pool of 30 (PostgreSQL's default max_connections is 100). */
const GATEWAY_POOL_SIZE = 10;

/**
 * The HTTP side (`up`, `server`): the admin token, the event hub, the runner gateway, the API and, for `up`,
 * the local runner (started by the caller once all is up). Stopping closes streams and connections first.
 */
async function startHttpSide(b: Base, opts: StartOptions, o: { secretKey: Buffer; workflows: WorkflowControl; beforeListen: () => Promise<void>; isReady: () => boolean }) {
  const { config, log, pool, notifier, metrics, secrets, workflows } = { ...b, ...o };
  const { token: adminToken, file: adminTokenFile } = await ensureAdminToken(pool, config.dataDir);
  scrubTokens(process.env, [adminToken]);
  const hub = new EventHub(pool, notifier, log);
  const revocations = new Revocations(pool, log);
  await revocations.start(notifier);
  const taskTokens = new TaskTokens(o.secretKey);
  // The runner gateway's own connections: a runner's results (each advancing its run) and the claims that follow
  // never queue behind a burst of API requests, so runners keep working while new runs arrive.
  const gatewayPool = createPool(b.databaseUrl, GATEWAY_POOL_SIZE, b.onPoolError);
  b.cleanups.push(() => gatewayPool.end());
  const gateway = new RunnerGateway({
    pool: gatewayPool,
    workflows,
    notifier,
    log,
    metrics,
    serverId: newId("srv"),
    pingIntervalMs: opts.pingIntervalMs ?? config.pingIntervalMs,
    revocations,
    handoff: b.handoff,
    wakes: b.wakes,
    resolveSecret: secrets.get,
    modelAccessEnv: (t, access) => modelAccessEnv(pool, taskTokens, t, access),
    taskToken: (taskId, dispatch) => taskTokens.mint(taskId, dispatch),
    onRunnerAvailable: (id) => void kickDispatch({ pool, workflows }, [id]).catch((err: Error) => log.warn({ err: err.message }, "job dispatch failed")),
  });
  await gateway.start();
  // Previews get an HTTP server of their own: a preview's scripts never run on the API's origin. It listens
  // before the engine starts, so a build recovered at launch publishes under its real URLs.
  const previewHost = await startPreviewHost({ pool, dataDir: config.dataDir, log, ...config.previews, hostname: config.host });
  b.cleanups.push(() => previewHost.close());
  b.previewUrls.set(previewHost.urls);
  b.ownApi.servePreviews(previewHost.fetch, config.previews.baseDomain, previewHost.port);
  await o.beforeListen();
  const closing = new AbortController();
  // Every open event stream listens for it: thousands at once are expected, not a leak.
  setMaxListeners(0, closing.signal);
  const app = createApp({
    pool, hub, log, metrics, secrets, taskTokens, stepTokens: b.ownApi.tokens, outbound: b.outbound, revocations, workflows, handoff: b.handoff, cassettesDir: config.cassettesDir,
    heartbeatMs: opts.heartbeatMs ?? 15_000, isReady: o.isReady, closing: closing.signal,
    previews: { urls: previewHost.urls, dataDir: config.dataDir, maxArtifactBytes: config.maxArtifactBytes },
    webDir: webUiBuilt() ? WEB_DIST_DIR : undefined,
    templates: {
      catalogue: loadCatalogue(),
      reposDir: path.join(config.dataDir, "repos"),
      // A template project is deployed at once, so its preview URL shows its template from the start.
      afterCreate: async (workspaceId, project) => {
        await startBuild({ pool, workflows, secrets }, workspaceId, project.id, { prompt: null }).catch((err: Error) => log.warn({ projectId: project.id, err: err.message }, "the first deploy of a project did not start"));
      },
    },
  });
  // The DeploymentService (Connect, gRPC, gRPC-Web) shares the API's port; every other request goes to the app.
  const server = await listenApi({ handler: apiRequestHandler({ pool, workflows, secrets }, app.fetch), port: config.port, hostname: config.host });
  const eventsSocket = createEventsSocket({ pool, hub, log, revocations, closing: closing.signal });
  server.on("upgrade", (req, socket, head) => {
    const pathname = new URL(req.url ?? "/", "http://x").pathname;
    if (pathname === RUNNER_PATH) void gateway.handleUpgrade(req, socket, head);
    else if (pathname === EVENTS_SOCKET_PATH) void eventsSocket.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`;
  b.ownApi.serve(url);
  // Its own shared-pool runner token (the admin token never leaves this process), renewed when revoked.
  const local =
    opts.localRunner === false || opts.role === "server"
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
  // Streams and connections go first, while the engine and the database are still there: nothing is left
  // holding the HTTP server open, and no runner reports into a half-stopped server.
  b.cleanups.push(async () => {
    closing.abort();
    await Promise.all([gateway.stop(), closeHttp(server as Server), local?.stop(3500)]);
  });
  const workspaceId = (await findLiveToken(pool, adminToken))!.workspaceId;
  return { url, adminToken, adminTokenFile, local, previewPort: previewHost.port, workspaceId };
}

/** A server without workflows waits for a worker to have created DBOS's tables (on a fresh database). */
async function waitForDbosSchema(pool: Pool, log: Logger): Promise<void> {
  for (let warned = false; ; ) {
    const found = await pool.query("select 1 from information_schema.tables where table_schema = 'dbos' and table_name = 'workflow_status'");
    if ((found.rowCount ?? 0) > 0) return;
    if (!warned) log.warn("waiting for a worker to create DBOS's tables (start `shipyard worker` on the same DATABASE_URL)");
    warned = true;
    await new Promise((r) => setTimeout(r, 500));
  }
}
