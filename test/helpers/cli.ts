import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = path.join(REPO, "bin", "shipyard.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The child's whole environment (nothing is inherited). */
  env: Record<string, string>;
  cwd?: string;
  /** A guard against a command that never ends: it is killed and the call throws. */
  guardMs?: number;
  /** Send SIGINT (Ctrl-C) once stdout matches this. */
  interruptWhen?: RegExp;
  /** Written to the child's stdin, which is then closed (without it stdin is closed at once: empty, not a TTY). */
  input?: string;
}

/** Run `node bin/shipyard.js ...args` as a real child process and collect its exit code and output. */
export function runCli(args: string[], opts: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? REPO, env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
    // A child that exits without reading its input must not fail the call with EPIPE.
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
    let stdout = "";
    let stderr = "";
    let interrupted = false;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (opts.interruptWhen && !interrupted && opts.interruptWhen.test(stdout)) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const guardMs = opts.guardMs ?? 60_000;
    const guard = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`shipyard ${args.join(" ")} did not exit within ${guardMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, guardMs);
    child.on("error", (err) => {
      clearTimeout(guard);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}
