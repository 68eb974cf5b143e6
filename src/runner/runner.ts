import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import type { Logger } from "../logger.ts";
import type { TaskResult } from "./protocol.ts";
import { SHIPYARD_HOME } from "../agents/entry-points.ts";
import { executeTask, type StepSandbox } from "./execute.ts";
import { WarmSandboxes } from "./sandbox/warm.ts";
import { grantTraverse } from "../host/traverse.ts";
import { runnerReadOnlyDirs } from "./sandbox/mounts.ts";
import type { SandboxPolicy } from "./sandbox/policy.ts";
import { startServerSocket, type ServerSocket } from "./sandbox/server-socket.ts";
import { LeftoverProcesses } from "./leftovers.ts";
import { Outbox } from "./outbox.ts";
import { StderrTail } from "./stderr-tail.ts";
import { CLOSE_PROTOCOL_MISMATCH, CLOSE_TOKEN_REVOKED, PROTOCOL_VERSION, RUNNER_PATH, ServerMessage, type RunnerMessage, type TaskMessage } from "./protocol.ts";

export interface RunnerOptions {
  serverUrl: string;
  token: string;
  name: string;
  labels: string[];
  slots: number;
  /** Holds the run workspaces and scratch files. */
  workDir: string;
  log: Logger;
  version?: string;
  /** The sandbox steps run in; null: none (`--no-sandbox`, steps run as the runner's user). */
  sandbox: SandboxPolicy | null;
}

/** The server refused this runner for good (another protocol version, a token it does not accept): reconnecting cannot help. */
export class RunnerRefused extends Error {
  override name = "RunnerRefused";
}

interface Running {
  task: TaskMessage;
  abort: AbortController;
}

const LOG_FLUSH_MS = 15;
const MAX_BACKOFF_MS = 5000;
const SILENCE_LIMIT_MS = 30_000;
/** How often unacknowledged log batches and results are looked at for sending again. */
const RESEND_CHECK_MS = 1000;

/**
 * A runner: holds one WebSocket to a server, executes the tasks it is sent and reports logs and results.
 * It never touches the database; when the connection drops it keeps working, keeps what the server has not
 * acknowledged (src/runner/outbox.ts) and reconnects with backoff, telling the server which tasks it still has.
 */
export class Runner {
  private ws: WebSocket | null = null;
  private readonly running = new Map<string, Running>();
  private readonly outbox: Outbox;
  private resender: NodeJS.Timeout | null = null;
  /** The connection the server welcomed: nothing but hello goes out on one it has not. */
  private welcomedWs: WebSocket | null = null;
  /** The last connection was welcomed: its loss is worth a warning, the failed attempts after it are not. */
  private wasConnected = false;
  private stopped = false;
  private backoff = 200;
  private flushTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private lastHeard = Date.now();
  private readonly leftovers: LeftoverProcesses;
  private welcomed: (() => void) | null = null;
  private stepSandbox: StepSandbox | undefined;
  /** Sandboxes started for the next step of a run while its current one runs. */
  private readonly warm: WarmSandboxes;
  private serverSocket: ServerSocket | null = null;
  /** The server's explanation in an error frame, printed if it then closes the connection for good. */
  private refusal: string | null = null;
  private settle: { resolve: () => void; reject: (err: Error) => void } = { resolve: () => undefined, reject: () => undefined };
  /** Resolves when the runner is stopped; rejects with RunnerRefused when the server refuses it for good. */
  readonly done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
  runnerId: string | null = null;

  constructor(private readonly opts: RunnerOptions) {
    this.leftovers = new LeftoverProcesses(path.join(opts.workDir, "processes.json"), opts.log);
    this.done.catch(() => undefined); // whoever awaits it handles the refusal; nobody awaiting it is no crash
    this.outbox = new Outbox({ send: (msg) => this.write(msg), log: opts.log });
    this.warm = new WarmSandboxes(opts.slots);
  }

  /** Connect; resolves once the server has accepted this runner, rejects with RunnerRefused if it refuses it. */
  async start(): Promise<void> {
    await fs.mkdir(this.opts.workDir, { recursive: true });
    if (this.opts.sandbox) await this.prepareSandbox(this.opts.sandbox);
    await this.leftovers.killAll();
    this.leftovers.guard();
    const ready = new Promise<void>((resolve) => (this.welcomed = resolve));
    this.resender = setInterval(() => this.outbox.resendStale(), RESEND_CHECK_MS);
    this.resender.unref();
    this.connect();
    await Promise.race([ready, this.done]);
  }

  /** Make the work dir reachable by the sandbox user and open the socket agents reach the server through. */
  private async prepareSandbox(policy: SandboxPolicy): Promise<void> {
    const { workDir, log } = this.opts;
    if (policy.switchesUser) {
      // Traverse only (o+x): the sandbox user can reach the workspace it is given, not list what lies beside it.
      await grantTraverse(workDir, (dir) => log.debug({ dir }, "granting traverse permission (o+x) so sandboxed steps can reach their workspaces"));
      await grantTraverse(SHIPYARD_HOME);
    }
    // A Unix socket path must fit in sun_path (108 bytes): a deep work dir gets one in the temp dir instead.
    const near = path.join(workDir, "server-socket");
    const socketDir = near.length <= 90 ? near : await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-sock-"));
    this.serverSocket = await startServerSocket(socketDir, this.opts.serverUrl, log);
    const readOnly = runnerReadOnlyDirs({ shipyardHome: SHIPYARD_HOME, workDir, pathVar: process.env.PATH ?? "", nodeBin: process.execPath, othersOnly: policy.switchesUser });
    this.stepSandbox = { policy, readOnly, serverSocketDir: this.serverSocket.dir, workDir };
  }

  private connect(): void {
    if (this.stopped) return;
    const url = this.opts.serverUrl.replace(/^http/, "ws").replace(/\/$/, "") + RUNNER_PATH;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.opts.token}` }, maxPayload: 16 * 1024 * 1024 });
    this.ws = ws;
    ws.on("open", () => {
      this.lastHeard = Date.now();
      this.write({
        type: "hello",
        protocol: PROTOCOL_VERSION,
        name: this.opts.name,
        labels: this.opts.labels,
        slots: this.opts.slots,
        version: this.opts.version ?? "0.1.0",
        // A finished task whose result the server has not acknowledged is still this runner's.
        running: [...this.running.values()].map((r) => ({ taskId: r.task.taskId, dispatch: r.task.dispatch })).concat(this.outbox.unsettled()),
        sandbox: this.opts.sandbox ? "bwrap" : "none",
        acks: true,
      });
    });
    // A token the server does not take is not going to be taken on the next try either.
    ws.on("unexpected-response", (req, res) => {
      const status = res.statusCode ?? 0;
      req.destroy();
      if (status === 401) this.refuse("unauthorized: the server refused this runner's token (HTTP 401: unknown or revoked): start the runner with a valid runner token");
      else if (status === 403) this.refuse("the server refused this runner's token (HTTP 403): its role may not connect as a runner; use a runner token (`shipyard tokens create NAME --role runner`)");
      // Anything else (503 while its database is away) may pass: without this the socket would stay
      // half-open, never closing, and the runner would never try again.
      else ws.terminate();
    });
    ws.on("pong", () => (this.lastHeard = Date.now()));
    ws.on("ping", () => (this.lastHeard = Date.now()));
    ws.on("message", (data) => {
      this.lastHeard = Date.now();
      this.onMessage(String(data));
    });
    ws.on("close", (code, reason) => {
      if (this.ws === ws) this.ws = null;
      if (this.heartbeat) clearInterval(this.heartbeat);
      if (this.stopped) return;
      if (code === CLOSE_PROTOCOL_MISMATCH) return this.refuse(this.refusal ?? `the server speaks another runner protocol than this runner (${PROTOCOL_VERSION})`);
      if (code === CLOSE_TOKEN_REVOKED) return this.refuse("unauthorized: the token this runner connected with was revoked: start it with a new runner token");
      // Once per outage: while the server is away every attempt fails, with a backoff of up to 5 s.
      if (this.wasConnected) this.opts.log.warn({ code, reason: String(reason) }, "runner disconnected; reconnecting");
      else this.opts.log.debug({ code, reason: String(reason) }, "runner reconnect failed");
      this.wasConnected = false;
      // Not unref'd: an idle runner has nothing else keeping it alive while it waits to reconnect.
      setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    });
    ws.on("error", (err) => this.opts.log.debug({ err: err.message }, "runner connection error"));
    // The server may vanish without a close frame (kill -9, network): silence means reconnect.
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS) ws.terminate();
      else if (ws.readyState === WebSocket.OPEN) ws.ping();
    }, 5000);
    this.heartbeat.unref();
  }

  private onMessage(text: string): void {
    let parsed: ServerMessage;
    try {
      parsed = ServerMessage.parse(JSON.parse(text));
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, "ignoring a malformed server message");
      return;
    }
    switch (parsed.type) {
      case "welcome":
        this.runnerId = parsed.runnerId;
        this.backoff = 200;
        this.wasConnected = true;
        this.welcomedWs = this.ws;
        this.outbox.setAcks(parsed.acks === true);
        this.outbox.resendAll();
        this.opts.log.info({ runnerId: parsed.runnerId, name: this.opts.name }, "runner connected");
        this.welcomed?.();
        this.welcomed = null;
        return;
      case "ack":
        return this.outbox.ack(parsed);
      case "task":
        return this.runTask(parsed.task);
      case "cancel":
        this.running.get(parsed.taskId)?.abort.abort();
        return;
      case "error":
        if (parsed.code === "protocol_mismatch") this.refusal = parsed.message;
        this.opts.log.error({ code: parsed.code }, parsed.message);
        return;
    }
  }

  private runTask(task: TaskMessage): void {
    const current = this.running.get(task.taskId);
    if (current && current.task.dispatch >= task.dispatch) return; // already running this dispatch
    current?.abort.abort();
    const entry: Running = { task, abort: new AbortController() };
    this.running.set(task.taskId, entry);
    const stderrTail = new StderrTail();
    void executeTask(task, {
      workdir: path.join(this.opts.workDir, "workspaces", task.runId),
      scratchDir: path.join(this.opts.workDir, "tmp"),
      signal: entry.abort.signal,
      sandbox: this.stepSandbox,
      warm: this.warm,
      runnerEnv: { SHIPYARD_SERVER_URL: this.opts.serverUrl.replace(/\/$/, ""), SHIPYARD_HOME },
      stderrTail,
      onLines: (lines) => {
        stderrTail.add(lines);
        this.outbox.lines(task, lines);
        this.scheduleFlush();
      },
      onSpawn: (pid) => this.leftovers.add(task.taskId, pid),
    })
      .catch((err: Error): Omit<TaskResult, "taskId" | "dispatch"> => ({
        status: "failed",
        exitCode: null,
        outputs: {},
        error: `runner error: ${err.message}`,
        durationMs: 0,
      }))
      .then((result) => {
        if (this.running.get(task.taskId) === entry) this.running.delete(task.taskId);
        void this.leftovers.remove(task.taskId);
        // A runner that is stopping reports nothing: its tasks were not cancelled by anyone (see stop()).
        if (!this.stopped) this.outbox.result(task, result);
      });
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flushLogs(), LOG_FLUSH_MS);
  }

  private flushLogs(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.outbox.flush();
  }

  /** Write to the connection when it is open (and welcomed, for anything but hello); false when it is not. */
  private write(msg: RunnerMessage): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || (msg.type !== "hello" && this.welcomedWs !== ws)) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }

  /** Stop for good: kill the running tasks and make `done` (and a pending `start`) reject with the reason. */
  private refuse(message: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.opts.log.error(message);
    for (const r of this.running.values()) r.abort.abort();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.ws?.terminate();
    this.ws = null;
    this.settle.reject(new RunnerRefused(message));
  }

  /** Names and states of the tasks in progress (for tests and status output). */
  get activeTasks(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Send what the steps printed, disconnect, then kill the running steps. Disconnecting first matters: a step
   * killed because its runner stops was not cancelled by anyone, so no `cancelled` result may reach the
   * server; it sees the runner leave and runs the step again elsewhere.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.flushLogs();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.resender) clearInterval(this.resender);
    this.ws?.close(1001, "runner stopping");
    this.ws = null;
    for (const r of this.running.values()) r.abort.abort();
    this.warm.dispose();
    const deadline = Date.now() + 5000;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await this.serverSocket?.close();
    this.settle.resolve();
  }
}
