import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import type { Logger } from "../logger.ts";

/**
 * Step processes run in process groups of their own, so a runner killed with -9 leaves them behind.
 * Their group ids are kept in a file; the next runner start kills any that are still step shells.
 */
export class LeftoverProcesses {
  private readonly pids = new Map<string, number>();
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {}

  /** Kill the process groups recorded by an earlier runner on this work dir. */
  async killAll(): Promise<void> {
    const text = await fs.readFile(this.file, "utf8").catch(() => "{}");
    let recorded: Record<string, number> = {};
    try {
      recorded = JSON.parse(text) as Record<string, number>;
    } catch {
      // a torn write: nothing trustworthy to kill
    }
    for (const [taskId, pid] of Object.entries(recorded)) {
      const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
      // Only a step shell we started (guards against the pid having been reused).
      if (!cmdline.includes("--noprofile\0--norc\0-eo\0pipefail")) continue;
      this.log.warn({ taskId, pid }, "killing a step left running by an earlier runner");
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await fs.writeFile(this.file, "{}");
    await fs.writeFile(this.groupsFile, "");
  }

  /**
   * Start a watchdog outside the runner's process group that, when the runner dies (even by SIGKILL of its
   * whole group), kills the step groups recorded in the file within a second, so no step outlives its runner.
   */
  guard(): void {
    // One process group id per line; ids of 1 or less are never signalled (kill -- -1 would hit everything).
    // A killed runner whose parent died too may linger as a zombie nobody reaps: that counts as dead.
    const script = `while s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) && [ "\${s%% *}" != Z ]; do sleep 1; done
while read -r pid; do case "$pid" in ''|*[!0-9]*) continue;; esac; [ "$pid" -gt 1 ] && kill -KILL -- "-$pid" 2>/dev/null; done < "$2"`;
    const child = spawn("bash", ["--noprofile", "--norc", "-c", script, "shipyard-step-watchdog", String(process.pid), this.groupsFile], {
      detached: true,
      stdio: "ignore",
    });
    child.unref();
  }

  /** Remember a running step's process group. */
  add(taskId: string, pid: number): Promise<void> {
    this.pids.set(taskId, pid);
    return this.save();
  }

  /** Forget a finished step. */
  remove(taskId: string): Promise<void> {
    this.pids.delete(taskId);
    return this.save();
  }

  private get groupsFile(): string {
    return `${this.file}.groups`;
  }

  private save(): Promise<void> {
    const snapshot = JSON.stringify(Object.fromEntries(this.pids));
    const groups = [...this.pids.values()].map((pid) => `${pid}\n`).join("");
    this.writing = this.writing.then(() =>
      Promise.all([fs.writeFile(this.file, snapshot), fs.writeFile(this.groupsFile, groups)]).then(
        () => undefined,
        () => undefined,
      ),
    );
    return this.writing;
  }
}
