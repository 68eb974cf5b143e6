// The runner `shipyard up` starts beside its server, supervised: if it dies (killed, crashed, refused because its
// token was revoked) it is started again after a pause that grows while it keeps dying, with a fresh credential,
// so one machine's steps do not stop for good because its runner process did.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { Logger } from "../logger.ts";

/** How the local runner is started. */
export interface LocalRunnerOptions {
  /** `bin/shipyard.js`. */
  bin: string;
  serverUrl: string;
  dataDir: string;
  slots: number;
  sandbox: boolean;
  log: Logger;
  /** Its credential, asked for at every start (a revoked one is replaced). */
  token: () => Promise<string>;
  /** Environment of the child (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

const FIRST_PAUSE_MS = 250;
const LONGEST_PAUSE_MS = 15_000;
/** A runner that stayed up this long was healthy: its next death starts the pauses afresh. */
const HEALTHY_AFTER_MS = 60_000;

/** A supervised local runner process. */
export class LocalRunner {
  private current: ChildProcess | null = null;
  private stopped = false;
  private pauseMs = FIRST_PAUSE_MS;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Starts so far (1 after the first). */
  starts = 0;

  constructor(private readonly o: LocalRunnerOptions) {}

  /** The running child, if any (between a death and its restart there is none). */
  get child(): ChildProcess | null {
    return this.current;
  }

  /** Start the runner (and keep it running until stop). */
  async start(): Promise<void> {
    const token = await this.o.token();
    if (this.stopped) return;
    const child = spawn(
      process.execPath,
      [
        this.o.bin, "runner", "--server", this.o.serverUrl, "--name", "local", "--slots", String(this.o.slots),
        "--work-dir", path.join(this.o.dataDir, "runner"), "--exit-with-parent", String(process.pid),
        ...(this.o.sandbox ? [] : ["--no-sandbox"]),
      ],
      { env: { ...(this.o.env ?? process.env), SHIPYARD_TOKEN: token }, stdio: ["ignore", "inherit", "inherit"] },
    );
    this.current = child;
    this.starts += 1;
    const startedAt = Date.now();
    child.on("error", (err) => this.o.log.error({ err: err.message }, "could not start the local runner"));
    child.once("exit", (code, signal) => {
      if (this.current === child) this.current = null;
      if (this.stopped) return;
      if (Date.now() - startedAt > HEALTHY_AFTER_MS) this.pauseMs = FIRST_PAUSE_MS;
      this.o.log.warn({ code, signal, restartInMs: this.pauseMs }, "the local runner exited; starting it again");
      this.scheduleRestart();
    });
  }

  /** Start it again after the current pause, which doubles (up to a limit) while it keeps dying. */
  private scheduleRestart(): void {
    if (this.stopped || this.restartTimer) return;
    const pause = this.pauseMs;
    this.pauseMs = Math.min(this.pauseMs * 2, LONGEST_PAUSE_MS);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start().catch((err: Error) => {
        this.o.log.error({ err: err.message }, "restarting the local runner failed; trying again");
        this.scheduleRestart();
      });
    }, pause);
  }

  /** Stop supervising and stop the runner (SIGTERM, then SIGKILL after a grace). */
  async stop(graceMs = 4000): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.current;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
