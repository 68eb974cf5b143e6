// Runners for tests that need to control one: a real `shipyard runner` child process (which a test may freeze
// with SIGSTOP, so it stops answering pings without closing its socket), and a protocol-level peer whose every
// answer to a ping the test decides.
import { spawn, type ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { WebSocket } from "ws";
import { PROTOCOL_VERSION, RUNNER_PATH } from "../../src/runner/protocol.ts";
import { BIN } from "./process.ts";

/** A `shipyard runner` child process. */
export interface RunnerProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  workDir: string;
  /** SIGSTOP: the process (not its tasks' processes) stops; its socket stays open. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** SIGCONT then SIGTERM, and wait for it to exit. */
  stop(): Promise<void>;
}

/** Start `node bin/shipyard.js runner --server URL --token T --name N --work-dir DIR` (it connects on its own). */
export async function spawnRunner(serverUrl: string, token: string, name: string, slots = 4): Promise<RunnerProcess> {
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), `shipyard-runner-${name}-`));
  const child = spawn(
    process.execPath,
    [BIN, "runner", "--server", serverUrl, "--token", token, "--name", name, "--slots", String(slots), "--work-dir", workDir],
    { env: { ...process.env, SHIPYARD_LOG_LEVEL: "error" }, stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  return {
    name,
    child,
    pid: child.pid!,
    workDir,
    freeze: () => signal("SIGSTOP"),
    thaw: () => signal("SIGCONT"),
    stop: async () => {
      signal("SIGCONT");
      signal("SIGTERM");
      const guard = setTimeout(() => signal("SIGKILL"), 8000);
      await exited;
      clearTimeout(guard);
    },
  };
}

/**
 * A runner speaking the protocol directly: it says hello, records the welcome and every ping, and answers a
 * ping only when `answer(n)` (n = 1, 2, … in arrival order) says so. It never runs tasks, but records the
 * ones it is sent and can send any frame (e.g. a forged `log` or `result`).
 */
export interface PeerRunner {
  runnerId: string;
  pingIntervalMs: number;
  /** Pings received so far. */
  pings: number;
  /** `task` messages received so far. */
  tasks: { taskId: string; dispatch: number; runId: string; stepId: string; attempt: number }[];
  /** Resolves when the server closes the connection. */
  closed: Promise<number>;
  /** Send a frame as it is (no validation). */
  send(frame: unknown): void;
  close(): void;
}

export async function connectPeer(
  serverUrl: string,
  token: string,
  name: string,
  answer: (n: number) => boolean | Promise<boolean>,
  /** Extra or overriding hello fields (e.g. `{ sandbox: "bwrap" }`). */
  hello: Record<string, unknown> = {},
): Promise<PeerRunner> {
  const ws = new WebSocket(serverUrl.replace(/^http/, "ws") + RUNNER_PATH, { headers: { authorization: `Bearer ${token}` }, autoPong: false });
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  const peer: PeerRunner = {
    runnerId: "",
    pingIntervalMs: 0,
    pings: 0,
    tasks: [],
    closed,
    send: (frame) => ws.send(JSON.stringify(frame)),
    close: () => ws.close(),
  };
  // Pings are answered in arrival order, each after the decision about the one before.
  let chain = Promise.resolve();
  ws.on("ping", (data) => {
    const n = ++peer.pings;
    chain = chain.then(async () => {
      if ((await answer(n)) && ws.readyState === WebSocket.OPEN) ws.pong(data);
    });
  });
  ws.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () =>
      ws.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, name, labels: [], slots: 1, version: "test", running: [], ...hello })),
    );
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as { type: string; runnerId?: string; pingIntervalMs?: number; task?: PeerRunner["tasks"][number] };
      if (msg.type === "task" && msg.task) peer.tasks.push(msg.task);
      if (msg.type === "welcome") {
        peer.runnerId = msg.runnerId!;
        peer.pingIntervalMs = msg.pingIntervalMs!;
        resolve();
      }
    });
    void closed.then((code) => reject(new Error(`the server closed the peer's connection (${code}) before welcoming it`)));
  });
  return peer;
}
