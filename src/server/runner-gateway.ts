import type { IncomingMessage } from "node:http";
import { dispatchKey } from "../tasks/task-id.ts";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Pool } from "../db/pool.ts";
import { newId } from "../domain/ids.ts";
import { CANCEL_CHANNEL, DISPATCH_CHANNEL, QUEUED_CHANNEL } from "../tasks/dispatch.ts";
import { RunnerClaims } from "./runner-claims.ts";
import { disconnectRunner, markRunnerOffline, recordMissedPings, registerRunner, touchRunner } from "../tasks/runner-store.ts";
import type { AssignedTask } from "../tasks/spec.ts";
import type { PlacedTask, TaskHandoff } from "../tasks/handoff.ts";
import { assignedTasks, hasClaimableTask } from "../tasks/store.ts";
import type { WorkflowControl } from "../engine/control.ts";
import type { RunMessage } from "../tasks/messages.ts";
import { RepeatFilter } from "../log-repeats.ts";
import { handleRunnerFrame } from "./runner-frames.ts";
import type { RunWakes } from "../runs/wake.ts";
import { deliverableTask, type DeliveryOptions } from "./task-delivery.ts";
import type { Notifier } from "../events/notifier.ts";
import type { Logger } from "../logger.ts";
import { CLOSE_PROTOCOL_MISMATCH, CLOSE_TOKEN_REVOKED, otherProtocol, protocolMismatchMessage, RunnerMessage, type ServerMessage } from "../runner/protocol.ts";
import { bearerToken, resolveToken, type Principal } from "./auth.ts";
import type { Metrics } from "./metrics.ts";
import { mayConnectAsRunner } from "./policy.ts";
import type { Revocations } from "./revocations.ts";
import { TaskOwnership, type OwnedTask } from "./task-ownership.ts";

interface Connection {
  ws: WebSocket;
  runnerId: string;
  name: string;
  /** Pings left unanswered in a row. */
  missed: number;
  /** The write of the last health-check outcome (a miss or an answer), which the next ping waits for. */
  recording: Promise<void> | null;
  /** Running while a ping waits for its pong. */
  pongTimer: NodeJS.Timeout | null;
  workspaceId: string | null;
  sent: Set<string>;
  /** The tasks this runner may report on; frames for any other are dropped. */
  owned: TaskOwnership;
  /** A dropped frame is logged once per connection (then only counted). */
  warnedRejected: boolean;
  /** Forgets this connection in the revocation registry. */
  untrack: () => void;
  /** The frames of each task still being handled, by task id: each task's are handled in order. */
  chains: Map<string, Promise<void>>;
  /** The runner sends again what is not acknowledged, and expects acks. */
  acks: boolean;
}

export interface GatewayOptions extends DeliveryOptions {
  pool: Pool;
  /** Tells waiting workflows about results and lost runners. */
  workflows: WorkflowControl;
  notifier: Notifier;
  log: Logger;
  metrics: Metrics;
  serverId: string;
  pingIntervalMs: number;
  /** Consecutive unanswered pings after which a runner is offline. */
  maxMissedPings?: number;
  /** Told when a runner comes online (e.g. to hand it a job). */
  onRunnerAvailable?: (runnerId: string) => void;
  /** Closes the connections of a token when it is revoked. */
  revocations?: Revocations;
  /** Tasks placed in this process, handed over without waiting for their NOTIFY. */
  handoff?: TaskHandoff;
  /** Wakes run workflows of this process at a result, without waiting for its NOTIFY. */
  wakes: RunWakes;
}

const ownedTask = (t: AssignedTask): OwnedTask => ({ operationId: t.message.runId, stepId: t.message.stepId, attempt: t.message.attempt });
/** How often runners are offered waiting work and sent what is theirs, whatever the notifications said. */
const CATCH_UP_MS = 5000;
/** How long runners get to answer the close frame when the server stops. */
const CLOSE_GRACE_MS = 1000;

/**
 * The server end of the runner protocol: authenticates runners, records them online, sends them the tasks
 * assigned to them (woken by NOTIFY from whichever process assigned the task), turns their log lines into
 * events and stores their results for the waiting workflow (waking a run's, messaging any other's).
 */
export class RunnerGateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  private readonly connections = new Map<string, Connection>();
  private pinger: NodeJS.Timeout | null = null;
  private catcher: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly storeFailures = new RepeatFilter();
  private readonly claims: RunnerClaims;

  constructor(private readonly o: GatewayOptions) {
    this.claims = new RunnerClaims({ pool: o.pool, log: o.log, connected: (id) => this.connections.has(id), send: (id, tasks) => this.deliver(id, tasks) });
  }

  /** Subscribe to dispatch notifications and start pinging runners. */
  async start(): Promise<void> {
    await this.o.notifier.on(DISPATCH_CHANNEL, (payload) => {
      // `<runner> <task>#<dispatch>` (migration 023; older processes send the runner alone): a task handed over
      // in this process was sent already, or is about to be, and needs no read of the runner's tasks.
      const [runnerId = "", placed] = payload.split(" ");
      if (placed && (this.connections.get(runnerId)?.sent.has(placed) || this.o.handoff?.handsOver(placed))) return;
      void this.deliver(runnerId);
    });
    this.o.handoff?.serve((t) => void this.handOver(t).catch((err: Error) => this.o.log.debug({ err: err.message, runnerId: t.runnerId }, "handing over a task failed")));
    await this.o.notifier.on(QUEUED_CHANNEL, (workspaceId) => {
      for (const c of this.connections.values()) {
        if (c.workspaceId === null || c.workspaceId === workspaceId) void this.claim(c.runnerId);
      }
    });
    await this.o.notifier.on(CANCEL_CHANNEL, (payload) => {
      const { runnerId, taskId } = JSON.parse(payload) as { runnerId: string | null; taskId: string };
      // A server-run task (runnerId null) is aborted by the engine of the process making its call.
      if (runnerId !== null) this.sendTo(this.connections.get(runnerId), { type: "cancel", taskId });
    });
    // Dispatch and queue notifications sent while the LISTEN connection was down (a database restart) were
    // lost: catch up at once, and every few seconds as a safety net.
    this.o.notifier.onReconnect(() => {
      for (const c of this.connections.values()) void this.catchUp(c);
    });
    this.pinger = setInterval(() => {
      for (const c of this.connections.values()) void this.ping(c);
    }, this.o.pingIntervalMs);
    this.pinger.unref();
    this.catcher = setInterval(() => {
      for (const c of this.connections.values()) void this.catchUp(c);
    }, Math.max(this.o.pingIntervalMs, CATCH_UP_MS));
    this.catcher.unref();
  }

  /** Claim waiting work for a runner and send it what is assigned to it but not yet sent. */
  private async catchUp(c: Connection): Promise<void> {
    await this.claimIfWaiting(c);
    await this.deliver(c.runnerId).catch((err: Error) => this.o.log.debug({ err: err.message, runnerId: c.runnerId }, "delivering assigned tasks failed"));
  }

  /** Number of runners connected to this server. */
  get connected(): number {
    return this.connections.size;
  }

  /** Handle an HTTP upgrade on the runner path: 401 without a valid token, 403 for a role that may not run steps. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (this.stopping) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n\r\nserver stopping\n");
      return;
    }
    const token = bearerToken(req.headers.authorization);
    // A database that cannot answer is no verdict on the token: a 503 makes the runner retry, a 401 would make it give up.
    const principal = token ? await resolveToken(this.o.pool, token).catch(() => undefined) : null;
    if (principal === undefined) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n\r\ncannot check the token now; retry\n");
      return;
    }
    if (!principal) {
      socket.end("HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\n\r\nunknown, revoked or missing runner token\n");
      return;
    }
    if (!mayConnectAsRunner(principal)) {
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\na ${principal.role} token may not connect as a runner: use a runner or owner token\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, principal));
  }

  private accept(ws: WebSocket, principal: Principal): void {
    let conn: Connection | null = null;
    const helloTimer = setTimeout(() => ws.close(4000, "expected hello"), 10_000);
    ws.on("message", (data) => {
      let msg: RunnerMessage;
      try {
        const frame: unknown = JSON.parse(String(data));
        const other = otherProtocol(frame);
        if (other !== null) return this.refuseProtocol(ws, other, helloTimer);
        msg = RunnerMessage.parse(frame);
      } catch (err) {
        this.sendTo({ ws } as Connection, { type: "error", code: "bad_message", message: (err as Error).message.slice(0, 500) });
        return;
      }
      if (msg.type === "hello") {
        clearTimeout(helloTimer);
        // The connection exists (for its frames, pongs and close) from the moment it is registered, before its welcome.
        void this.register(ws, principal, msg, (c) => (conn = c)).catch(
          (err: Error) => {
            this.o.log.error({ err: err.message }, "runner registration failed");
            ws.close(1011, "registration failed");
          },
        );
        return;
      }
      if (!conn) return this.o.metrics.runnerFramesRejected.inc({ reason: "before_hello" });
      const c = conn;
      // Frames about one task are handled in order (its log lines before its result); different tasks' at once, so
      // that one result's advance of its run does not hold up the others'.
      const key = "taskId" in msg ? msg.taskId : "";
      const next = (c.chains.get(key) ?? Promise.resolve()).then(() => this.onRunnerMessage(c, msg)).catch((err: Error) => {
        // While the database is away every frame fails the same way, and runners send them again every few seconds.
        const { pass, held } = this.storeFailures.check(err.message);
        if (pass) this.o.log.error({ err: err.message, ...(held > 0 ? { repeated: held } : {}) }, "storing a runner's frame failed");
      });
      c.chains.set(key, next);
      void next.then(() => {
        if (c.chains.get(key) === next) c.chains.delete(key);
      });
    });
    ws.on("pong", () => {
      if (!conn) return;
      conn.missed = 0;
      if (conn.pongTimer) clearTimeout(conn.pongTimer);
      conn.pongTimer = null;
      conn.recording = touchRunner(this.o.pool, conn.runnerId).catch(() => undefined);
    });
    ws.on("close", () => {
      clearTimeout(helloTimer);
      conn?.untrack();
      if (conn && this.connections.get(conn.runnerId) === conn) {
        this.connections.delete(conn.runnerId);
        // Offline at once (no new work); its tasks are declared lost by the sweeper after a grace period,
        // unless it reconnects first and reports them still running.
        void disconnectRunner(this.o.pool, conn.runnerId, this.o.serverId).catch(() => undefined);
      }
    });
    ws.on("error", () => undefined);
  }

  /** Tell a runner of another protocol version why it is refused, and close with a code that stops its reconnecting. */
  private refuseProtocol(ws: WebSocket, runnerProtocol: number, helloTimer: NodeJS.Timeout): void {
    clearTimeout(helloTimer);
    const message = protocolMismatchMessage(runnerProtocol);
    this.o.log.warn({ runnerProtocol }, message);
    this.sendTo({ ws }, { type: "error", code: "protocol_mismatch", message });
    ws.close(CLOSE_PROTOCOL_MISMATCH, "protocol mismatch: see the error frame");
  }

  private async register(
    ws: WebSocket,
    principal: Principal,
    hello: Extract<RunnerMessage, { type: "hello" }>,
    onConnection: (c: Connection) => void,
  ): Promise<void> {
    // Runners of a workspace token serve only that workspace; the admin's and shared runner tokens' form the shared pool.
    const workspaceId = principal.isAdmin || principal.shared ? null : principal.workspaceId;
    const runnerId = await registerRunner(this.o.pool, {
      id: newId("rnr"),
      workspaceId,
      name: hello.name,
      labels: hello.labels,
      slots: hello.slots,
      serverId: this.o.serverId,
      version: hello.version,
      sandbox: hello.sandbox,
    });
    this.connections.get(runnerId)?.ws.close(4001, "replaced by a newer connection");
    const owned = new TaskOwnership(this.o.pool, runnerId);
    const untrack = this.o.revocations?.track(principal.tokenId, () => ws.close(CLOSE_TOKEN_REVOKED, "token revoked")) ?? (() => undefined);
    const conn: Connection = {
      ws, runnerId, name: hello.name, missed: 0, recording: null, pongTimer: null, workspaceId, sent: new Set(), owned, warnedRejected: false, untrack,
      chains: new Map(), acks: hello.acks === true,
    };
    for (const r of hello.running) conn.sent.add(dispatchKey(r.taskId, r.dispatch));
    this.connections.set(runnerId, conn);
    onConnection(conn);
    // Tasks this runner held that it no longer has died with its previous incarnation.
    const held = await assignedTasks(this.o.pool, runnerId);
    for (const t of held) {
      const key = dispatchKey(t.message.taskId, t.message.dispatch);
      if (conn.sent.has(key)) {
        conn.owned.grant(t.message.taskId, t.message.dispatch, ownedTask(t));
        continue;
      }
      // Never re-send this dispatch: the workflow re-queues the task under a new one.
      conn.sent.add(key);
      await this.reportLost(t.workflowId, t.message.taskId, t.message.dispatch, `runner ${hello.name} restarted`);
    }
    this.sendTo(conn, { type: "welcome", runnerId, pingIntervalMs: this.o.pingIntervalMs, ...(conn.acks ? { acks: true } : {}) });
    // Tasks it still runs that are no longer its (declared lost meanwhile and handed out again) must stop:
    // a job's next attempt would otherwise share the workspace with them.
    const current = new Set(held.map((t) => dispatchKey(t.message.taskId, t.message.dispatch)));
    for (const r of hello.running) if (!current.has(dispatchKey(r.taskId, r.dispatch))) this.sendTo(conn, { type: "cancel", taskId: r.taskId });
    this.o.log.info({ runnerId, name: hello.name, slots: hello.slots, shared: workspaceId === null, sandbox: hello.sandbox }, "runner online");
    await this.claim(runnerId);
    await this.deliver(runnerId);
    this.o.onRunnerAvailable?.(runnerId);
  }

  /**
   * One health check: a ping the runner leaves unanswered for the pong timeout (half the interval, at most
   * 1 s) is a miss; at `maxMissedPings` misses in a row the runner is offline, its connection is dropped and
   * its tasks are lost. So a frozen runner is offline within 3 intervals plus the timeout of its freezing.
   */
  private async ping(c: Connection): Promise<void> {
    if (c.pongTimer) return; // the previous ping is still within its timeout
    // The runner's row says what the previous ping found before the next one goes out (a slow database
    // would otherwise let a ping overtake the miss it follows).
    if (c.recording) await c.recording;
    if (c.pongTimer || this.connections.get(c.runnerId) !== c || c.ws.readyState !== c.ws.OPEN) return;
    c.ws.ping();
    c.pongTimer = setTimeout(() => {
      c.pongTimer = null;
      c.recording = this.missed(c).catch((err: Error) => this.o.log.warn({ err: err.message }, "recording a missed ping failed"));
    }, Math.min(1000, this.o.pingIntervalMs / 2));
    c.pongTimer.unref();
  }

  private async missed(c: Connection): Promise<void> {
    if (this.connections.get(c.runnerId) !== c) return;
    c.missed += 1;
    if (c.missed < (this.o.maxMissedPings ?? 3)) {
      await recordMissedPings(this.o.pool, c.runnerId, c.missed);
      return;
    }
    this.o.log.warn({ runnerId: c.runnerId, name: c.name, missed: c.missed }, "runner missed its pings; marking it offline");
    this.connections.delete(c.runnerId);
    c.ws.terminate();
    await markRunnerOffline(this.o.pool, c.runnerId, c.missed);
    for (const t of await assignedTasks(this.o.pool, c.runnerId)) {
      await this.reportLost(t.workflowId, t.message.taskId, t.message.dispatch, `runner ${c.name} missed ${c.missed} pings`);
    }
  }

  private async onRunnerMessage(c: Connection, msg: RunnerMessage): Promise<void> {
    if (msg.type !== "log" && msg.type !== "result") return;
    const h = { pool: this.o.pool, workflows: this.o.workflows, wakes: this.o.wakes, handoff: this.o.handoff, metrics: this.o.metrics, log: this.o.log, send: (msg: ServerMessage) => this.sendTo(c, msg) };
    if (msg.type === "log") return void (await handleRunnerFrame(h, c, msg));
    // A slot is free after a result and work waits: take it, without holding up this runner's next message.
    await this.claims.onResult(c.runnerId, msg.taskId, () => handleRunnerFrame(h, c, msg));
  }

  /** Claim only when tasks wait: the unlocked check spares a locking transaction after most results. */
  private async claimIfWaiting(c: Connection): Promise<void> {
    if (await hasClaimableTask(this.o.pool, c.workspaceId, c.runnerId).catch(() => true)) await this.claim(c.runnerId);
  }

  /** Tell the waiting workflow that a task's runner is gone (idempotent per dispatch). */
  private reportLost(workflowId: string, taskId: string, dispatch: number, reason: string): Promise<void> {
    const msg: RunMessage = { type: "lost", taskId, dispatch, reason };
    return this.o.workflows.send(workflowId, msg, `lost:${taskId}:${dispatch}`);
  }

  /** Claim waiting tasks for a runner connected here and send them to it (a claim sends no NOTIFY). */
  private claim(runnerId: string): Promise<void> {
    return this.claims.claim(runnerId);
  }

  private async deliver(runnerId: string, tasks?: AssignedTask[]): Promise<void> {
    const conn = this.connections.get(runnerId);
    if (!conn) return;
    for (const t of tasks ?? (await assignedTasks(this.o.pool, runnerId))) await this.send(conn, t);
  }

  /** A task placed in this process on a runner connected here: sent now (its NOTIFY then finds it sent). */
  private async handOver(t: PlacedTask): Promise<void> {
    const conn = this.connections.get(t.runnerId);
    if (conn) await this.send(conn, t);
  }

  /** Send a runner a task assigned to it, once per dispatch. */
  private async send(conn: Connection, t: AssignedTask): Promise<void> {
    const key = dispatchKey(t.message.taskId, t.message.dispatch);
    if (conn.sent.has(key)) return;
    conn.sent.add(key);
    conn.owned.grant(t.message.taskId, t.message.dispatch, ownedTask(t));
    this.sendTo(conn, { type: "task", task: await deliverableTask(t, this.o) });
  }

  private sendTo(conn: Pick<Connection, "ws"> | undefined, msg: ServerMessage): void {
    if (conn && conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(msg));
  }

  /** Refuse new runners and close every connection: politely, then (past a short grace) by cutting the socket. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.pinger) clearInterval(this.pinger);
    if (this.catcher) clearInterval(this.catcher);
    for (const c of this.connections.values()) c.ws.close(1001, "server stopping");
    this.connections.clear();
    const closed = new Promise<void>((resolve) => this.wss.close(() => resolve()));
    // A runner that does not answer the close frame (frozen, or gone without a FIN) would hold this for 30 s.
    const grace = setTimeout(() => {
      for (const ws of this.wss.clients) ws.terminate();
    }, CLOSE_GRACE_MS);
    await closed;
    clearTimeout(grace);
  }
}
