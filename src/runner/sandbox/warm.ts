// Sandboxes started before their step arrives. Creating a sandbox (bwrap's namespaces and mounts, then bash) is
// most of a short step's time on the runner; when the server says more steps of the same run will follow, the
// runner starts the next step's sandbox while the current step runs, and the next step only tells the shell
// waiting in it what to run. It is the same bwrap sandbox with the same mounts as a cold start, bound to the
// same workspace; only the step's command, working directory and environment arrive later, on stdin.
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

/**
 * The shell waiting inside a warm sandbox: it reads the working directory, the command and the environment
 * (NUL-separated, to the end of stdin), then becomes the step's bash with exactly that environment.
 */
export const WARM_LAUNCHER = [
  "IFS= read -r -d '' dir || exit 111",
  "IFS= read -r -d '' cmd || exit 111",
  "mapfile -d '' -t vars",
  'cd -- "$dir" || exit 1',
  'exec env -i -- "${vars[@]}" bash --noprofile --norc -eo pipefail -c "$cmd" </dev/null',
].join("\n");

/** A started sandbox waiting for its step. */
export interface WarmSandbox {
  child: ChildProcess;
  /** Its task directory (the output file lives there), bound at SANDBOX_TASK_DIR. */
  taskDir: string;
}

/** What to start a warm sandbox with: bwrap, its arguments and the user to run it as. */
export interface WarmLaunch {
  file: string;
  args: string[];
  taskDir: string;
  uid?: number;
  gid?: number;
}

/** Start the sandbox of `launch`, its shell waiting on stdin (its own process group, as a step's is). */
export function startWarmSandbox(launch: WarmLaunch): WarmSandbox {
  const child = spawn(launch.file, launch.args, {
    cwd: "/",
    env: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin" },
    uid: launch.uid,
    gid: launch.gid,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.on("error", () => undefined); // a sandbox that could not start is found dead when taken
  child.stdin?.on("error", () => undefined);
  return { child, taskDir: launch.taskDir };
}

/** Give a warm sandbox its step: the working directory, the command and the environment. */
export function startWarmStep(sb: WarmSandbox, cwd: string, command: string, env: Record<string, string>): void {
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  sb.child.stdin?.end([cwd, command, ...vars].map((s) => `${s}\0`).join(""));
}

/** A runner's warm sandboxes, at most one per workspace and network setting, each kept for a short while. */
export class WarmSandboxes {
  private readonly ready = new Map<string, { sb: WarmSandbox; idle: NodeJS.Timeout }>();
  /** Steps that started in a warm sandbox (for the runner's diagnostics and tests). */
  taken = 0;
  private disposed = false;

  constructor(
    private readonly max: number,
    private readonly idleMs = 10_000,
  ) {}

  /** The key of a workspace's sandboxes with or without network. */
  static key(workdir: string, network: boolean): string {
    return `${network ? "net" : "nonet"}:${workdir}`;
  }

  /** The warm sandbox for `key`, if one is ready and alive (it is then the caller's). */
  take(key: string): WarmSandbox | null {
    const entry = this.ready.get(key);
    if (!entry) return null;
    this.ready.delete(key);
    clearTimeout(entry.idle);
    const { child } = entry.sb;
    if (!child.pid || child.exitCode !== null || child.signalCode !== null) {
      discard(entry.sb);
      return null;
    }
    this.taken += 1;
    return entry.sb;
  }

  /** Start one for `key` unless one is ready or enough are; never throws (a step can always start its own). */
  prepare(key: string, start: () => WarmSandbox): void {
    if (this.disposed || this.ready.has(key) || this.ready.size >= this.max) return;
    let sb: WarmSandbox;
    try {
      sb = start();
    } catch {
      return;
    }
    const idle = setTimeout(() => {
      if (this.ready.get(key)?.sb !== sb) return;
      this.ready.delete(key);
      discard(sb);
    }, this.idleMs);
    idle.unref();
    this.ready.set(key, { sb, idle });
  }

  /** The process ids of the sandboxes ready now (diagnostics, tests). */
  pids(): number[] {
    return [...this.ready.values()].flatMap(({ sb }) => (sb.child.pid ? [sb.child.pid] : []));
  }

  /** End every warm sandbox and start no more (the runner is stopping). */
  dispose(): void {
    this.disposed = true;
    for (const { sb, idle } of this.ready.values()) {
      clearTimeout(idle);
      discard(sb);
    }
    this.ready.clear();
  }
}

function discard(sb: WarmSandbox): void {
  try {
    if (sb.child.pid) process.kill(-sb.child.pid, "SIGKILL");
  } catch {
    // already gone
  }
  rmSync(sb.taskDir, { recursive: true, force: true });
}
