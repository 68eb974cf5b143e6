import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, mkdirSync, promises as fs, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { parseOutputFile } from "../workflows/index.ts";
import type { TaskResult } from "./protocol.ts";
import type { LogLine, TaskMessage } from "./protocol.ts";
import { bwrapArgs, SANDBOX_HOME, SANDBOX_OUTPUT, SANDBOX_SERVER_SOCKET, SANDBOX_TASK_DIR } from "./sandbox/bwrap.ts";
import { checkRepoMount } from "./sandbox/mounts.ts";
import type { SandboxPolicy } from "./sandbox/policy.ts";
import { resolveWorkingDirectory } from "./working-directory.ts";
import { startWarmSandbox, startWarmStep, WARM_LAUNCHER, WarmSandboxes, type WarmLaunch } from "./sandbox/warm.ts";
import type { StderrTail } from "./stderr-tail.ts";

/** Grace between SIGTERM and SIGKILL when a step is cancelled or times out. */
const KILL_GRACE_MS = 2000;

export interface ExecuteOptions {
  /** The run's workspace directory; created when missing. */
  workdir: string;
  /** Where the step's output file lives (outside the workspace, so a step cannot clobber another's). */
  scratchDir: string;
  onLines: (lines: LogLine[]) => void;
  /** Variables the runner gives every step (the server's URL, its own installation); they win over the step's. */
  runnerEnv?: Record<string, string>;
  /** Fed the step's lines by the caller: a failed step's error quotes its cause from there. */
  stderrTail?: StderrTail;
  /** Told the process group id as soon as the shell starts. */
  onSpawn?: (pid: number) => void;
  signal: AbortSignal;
  /** Run the step in this bubblewrap sandbox (absent: directly, as the runner's user: `--no-sandbox`). */
  sandbox?: StepSandbox;
  /** The runner's warm sandboxes (see src/runner/sandbox/warm.ts); absent: every step starts its own. */
  warm?: WarmSandboxes;
}

/** What a runner shows every sandbox of its steps. */
export interface StepSandbox {
  policy: SandboxPolicy;
  /** Host directories shown read-only (see runnerReadOnlyDirs). */
  readOnly: string[];
  /** The directory of the runner's server socket (agents' model calls), when it has one. */
  serverSocketDir?: string;
  /** The runner's work dir: no mount may overlap it. */
  workDir: string;
}

/**
 * Run one step attempt: `bash -eo pipefail -c <command>` in its own process group, with a clean
 * environment (the step's env plus PATH, HOME and the SHIPYARD_* variables), stdout and stderr streamed
 * line by line, a timeout, and the whole process tree killed on cancel.
 */
export async function executeTask(task: TaskMessage, opts: ExecuteOptions): Promise<Omit<TaskResult, "taskId" | "dispatch">> {
  const started = Date.now();
  const { spec } = task;
  if (spec.delayMs) await delay(spec.delayMs, opts.signal);
  if (opts.signal.aborted) return { status: "cancelled", exitCode: null, outputs: {}, error: "cancelled", durationMs: 0 };
  // Synchronous on purpose: these are a few microseconds of local syscalls each, where the promise API costs a
  // thread-pool round trip per call (about 1 ms per step in all, measured, more under load).
  mkdirSync(opts.workdir, { recursive: true });
  let cwd: string;
  try {
    cwd = resolveWorkingDirectory(opts.workdir, spec.workingDirectory);
  } catch (err) {
    return { status: "failed", exitCode: null, outputs: {}, error: (err as Error).message, durationMs: Date.now() - started };
  }
  mkdirSync(opts.scratchDir, { recursive: true });
  const taskKey = `${task.taskId.replaceAll(/[^A-Za-z0-9_-]/g, "_")}.${task.dispatch}`;
  // A step that mounts nothing may start in a sandbox made ready for its workspace while the previous one ran.
  const warmKey = opts.sandbox && opts.warm && !spec.mounts?.length ? WarmSandboxes.key(opts.workdir, spec.network === true) : null;
  const warm = warmKey ? opts.warm!.take(warmKey) : null;
  // Sandboxed, the output file lives in a directory of the attempt's own, bound into the sandbox.
  const taskDir = warm ? warm.taskDir : opts.sandbox ? path.join(opts.scratchDir, taskKey) : null;
  const outputFile = taskDir ? path.join(taskDir, "output") : path.join(opts.scratchDir, `${taskKey}.out`);
  if (!warm) {
    if (taskDir) mkdirSync(taskDir, { recursive: true });
    writeFileSync(outputFile, "");
  }

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: process.env.HOME ?? opts.workdir,
    ...spec.env,
    ...opts.runnerEnv,
    SHIPYARD_OUTPUT: outputFile,
    SHIPYARD_RUN_ID: task.runId,
    SHIPYARD_STEP_ID: task.stepId,
    SHIPYARD_ATTEMPT: String(task.attempt),
    SHIPYARD_WORKSPACE: opts.workdir,
  };
  const shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", spec.command];
  let child: ChildProcess;
  if (warm) {
    child = warm.child;
    startWarmStep(warm, cwd, spec.command, sandboxEnv(env, opts.sandbox!));
  } else {
    let launch: { file: string; args: string[]; cwd: string; uid?: number; gid?: number };
    try {
      launch = opts.sandbox && taskDir ? sandboxLaunch(task, opts.sandbox, opts.workdir, cwd, taskDir, env, shell) : { file: "bash", args: shell.slice(1), cwd };
    } catch (err) {
      rmSync(taskDir ?? outputFile, { recursive: true, force: true });
      return { status: "failed", exitCode: null, outputs: {}, error: `cannot sandbox the step: ${(err as Error).message}`, durationMs: Date.now() - started };
    }
    child = spawn(launch.file, launch.args, {
      cwd: launch.cwd,
      env,
      uid: launch.uid,
      gid: launch.gid,
      detached: true, // its own process group, so cancel reaches every descendant
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  if (child.pid) opts.onSpawn?.(child.pid);
  // More steps of this run follow: the next one's sandbox starts while this one runs (just after its own
  // start, which spawning would otherwise delay by the few milliseconds a fork of the runner takes).
  if (warmKey && spec.prewarm) setImmediate(() => opts.warm!.prepare(warmKey, () => startWarmSandbox(warmLaunch(opts.sandbox!, opts.workdir, opts.scratchDir, spec.network === true))));
  let ended: "cancelled" | "timed_out" | null = null;
  const killTree = (why: "cancelled" | "timed_out") => {
    if (ended || child.exitCode !== null) return;
    ended = why;
    signalGroup(child.pid, "SIGTERM");
    setTimeout(() => signalGroup(child.pid, "SIGKILL"), KILL_GRACE_MS).unref();
  };
  const onAbort = () => killTree("cancelled");
  opts.signal.addEventListener("abort", onAbort);
  const timer = spec.timeoutMs ? setTimeout(() => killTree("timed_out"), spec.timeoutMs) : null;

  const streams = [pipeLines(child.stdout!, "stdout", opts.onLines), pipeLines(child.stderr!, "stderr", opts.onLines)];
  const exit = await new Promise<{ code: number | null; error?: string }>((resolve) => {
    child.once("error", (err) => resolve({ code: null, error: `could not start bash: ${err.message}` }));
    child.once("exit", (code) => resolve({ code }));
  });
  if (timer) clearTimeout(timer);
  opts.signal.removeEventListener("abort", onAbort);
  // Background processes the step left behind belong to its group: end them, then let the pipes drain.
  signalGroup(child.pid, "SIGKILL");
  await Promise.race([Promise.all(streams), delay(1000)]);

  const durationMs = Date.now() - started;
  if (ended === "cancelled") return { status: "cancelled", exitCode: exit.code, outputs: {}, error: "cancelled", durationMs };
  if (ended === "timed_out") {
    return { status: "timed_out", exitCode: exit.code, outputs: {}, error: `timed out after ${spec.timeoutMs} ms`, durationMs };
  }
  if (exit.error) return { status: "failed", exitCode: null, outputs: {}, error: exit.error, durationMs };
  let outputs: Record<string, string>;
  try {
    outputs = parseOutputFile(await readSmallFile(outputFile));
  } catch (err) {
    return { status: "failed", exitCode: exit.code, outputs: {}, error: `bad $SHIPYARD_OUTPUT: ${(err as Error).message}`, durationMs };
  } finally {
    discard(taskDir ?? outputFile);
  }
  if (exit.code === 0) return { status: "succeeded", exitCode: 0, outputs, durationMs };
  return { status: "failed", exitCode: exit.code, outputs, error: opts.stderrTail?.explain(`exited with code ${exit.code}`) ?? `exited with code ${exit.code}`, durationMs };
}

/**
 * Remove a step's task directory or output file in the background (the thread pool): the result need not wait
 * for it, and a runner busy with many steps spends its one thread on starting them. It is renamed first (one
 * call), so that nothing made under the same name afterwards is removed with it.
 */
function discard(file: string): void {
  const gone = `${file}.gone-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(file, gone);
  } catch {
    return; // never made, or gone already
  }
  void fs.rm(gone, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * How to start a step in its sandbox: the workspace and task directory handed to the sandbox user, the
 * environment pointed at the paths inside, and the bwrap command line. Throws when a mount is refused.
 */
function sandboxLaunch(task: TaskMessage, sb: StepSandbox, workdir: string, cwd: string, taskDir: string, env: Record<string, string>, shell: string[]) {
  const { policy } = sb;
  handToSandboxUser(policy, workdir, taskDir);
  const mounts = task.spec.mounts ?? [];
  const readOnly = [...sb.readOnly, ...mounts.filter((m) => !m.writable).map((m) => checkRepoMount(m.path, sb.workDir))];
  const writable = mounts.filter((m) => m.writable).map((m) => checkRepoMount(m.path, sb.workDir));
  sandboxEnv(env, sb);
  if (mounts.length > 0) {
    // A mounted repository belongs to another user than the sandbox's, which git refuses unless told it is safe.
    const gitconfig = path.join(taskDir, "gitconfig");
    writeFileSync(gitconfig, [...readOnly.slice(sb.readOnly.length), ...writable].map((d) => `[safe]\n\tdirectory = ${d}\n`).join(""));
    env.GIT_CONFIG_GLOBAL = `${SANDBOX_TASK_DIR}/gitconfig`;
  }
  const args = bwrapArgs({ workspace: workdir, taskDir, serverSocketDir: sb.serverSocketDir, readOnly, writable, network: task.spec.network === true, cwd }, shell);
  // bwrap itself starts in / (the sandbox user may not reach the runner's cwd); --chdir sets the step's.
  return { file: policy.bwrap, args, cwd: "/", ...(policy.switchesUser ? { uid: policy.uid, gid: policy.gid } : {}) };
}

/** A warm sandbox for `workdir`: a task directory of its own, the workspace's mounts, and the waiting shell. */
function warmLaunch(sb: StepSandbox, workdir: string, scratchDir: string, network: boolean): WarmLaunch {
  const taskDir = path.join(scratchDir, `warm-${randomBytes(6).toString("hex")}`);
  mkdirSync(taskDir, { recursive: true });
  writeFileSync(path.join(taskDir, "output"), "");
  const { policy } = sb;
  handToSandboxUser(policy, workdir, taskDir);
  const args = bwrapArgs({ workspace: workdir, taskDir, serverSocketDir: sb.serverSocketDir, readOnly: sb.readOnly, writable: [], network, cwd: workdir }, [
    "bash", "--noprofile", "--norc", "-c", WARM_LAUNCHER,
  ]);
  return { file: policy.bwrap, args, taskDir, ...(policy.switchesUser ? { uid: policy.uid, gid: policy.gid } : {}) };
}

/** The workspace and task directory handed to the sandbox user (only the top directories: what the sandbox creates inside is its user's already). */
function handToSandboxUser(policy: SandboxPolicy, workdir: string, taskDir: string): void {
  if (!policy.switchesUser) return;
  if (statSync(workdir).uid !== policy.uid) chownSync(workdir, policy.uid, policy.gid);
  chownSync(taskDir, policy.uid, policy.gid);
  chownSync(path.join(taskDir, "output"), policy.uid, policy.gid);
}

/** A step's environment pointed at the paths inside its sandbox. */
function sandboxEnv(env: Record<string, string>, sb: StepSandbox): Record<string, string> {
  Object.assign(env, { HOME: SANDBOX_HOME, SHIPYARD_OUTPUT: SANDBOX_OUTPUT });
  if (sb.serverSocketDir) env.SHIPYARD_SERVER_SOCKET = SANDBOX_SERVER_SOCKET;
  return env;
}

/** Read a file synchronously when it is small (the usual output file), else without blocking the loop. */
async function readSmallFile(file: string): Promise<string> {
  return statSync(file).size <= 256 * 1024 ? readFileSync(file, "utf8") : fs.readFile(file, "utf8");
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

function pipeLines(stream: NodeJS.ReadableStream, name: "stdout" | "stderr", onLines: (l: LogLine[]) => void): Promise<void> {
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  rl.on("line", (line) => onLines([{ stream: name, line, time: new Date().toISOString() }]));
  return new Promise((resolve) => rl.once("close", resolve));
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    });
  });
}
