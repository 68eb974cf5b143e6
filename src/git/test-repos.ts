// Test support for the git scripts (imported by *.test.ts only): real repositories in temp dirs, and scripts
// run the way the runner runs them.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface Sandbox {
  root: string;
  /** A bare repository with one commit (README.md) on `main`. */
  remote: string;
  /** The job's workspace (empty). */
  ws: string;
  /** HOME for the scripts: empty, so no global git config (identity, credential helpers) leaks in. */
  home: string;
  /** TMPDIR for the scripts, to check that they leave nothing behind. */
  tmp: string;
  output: string;
}

const IDENTITY = ["-c", "user.name=Test", "-c", "user.email=test@localhost"];

/** Run git in `cwd` and return its trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", [...IDENTITY, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" },
    stdio: ["ignore", "pipe", "pipe"], // git's chatter on stderr stays out of the test output
  }).trim();
}

/** A fresh sandbox; `remote` may be placed under another directory (e.g. a fake GitHub's git root). */
export function sandbox(remoteRelative = "remote.git"): Sandbox {
  const root = mkdtempSync(path.join(os.tmpdir(), "shipyard-git-"));
  const dirs = { remote: path.join(root, remoteRelative), ws: path.join(root, "ws"), home: path.join(root, "home"), tmp: path.join(root, "tmp") };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  git(dirs.remote, "init", "--quiet", "--bare", "--initial-branch=main");
  const seed = path.join(root, "seed");
  git(root, "clone", "--quiet", dirs.remote, seed);
  writeFileSync(path.join(seed, "README.md"), "# demo\n");
  git(seed, "add", "README.md");
  git(seed, "commit", "--quiet", "-m", "initial");
  git(seed, "push", "--quiet", "origin", "HEAD:refs/heads/main");
  const output = path.join(root, "output");
  writeFileSync(output, "");
  return { root, ...dirs, output };
}

/** Add a commit to the remote's main branch (someone else merging meanwhile). */
export function advanceRemote(box: Sandbox, file: string, content: string): string {
  const seed = path.join(box.root, "seed");
  git(seed, "pull", "--quiet", "origin", "main");
  writeFileSync(path.join(seed, file), content);
  git(seed, "add", file);
  git(seed, "commit", "--quiet", "-m", `add ${file}`);
  git(seed, "push", "--quiet", "origin", "HEAD:refs/heads/main");
  return git(seed, "rev-parse", "HEAD");
}

export interface ScriptResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const BASH = ["--noprofile", "--norc", "-eo", "pipefail", "-c"];
// A script that hangs (git waiting on a server this process cannot serve while blocked) fails the test instead.
const TIMEOUT_MS = 30_000;

function scriptEnv(box: Sandbox, cwd: string, env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: box.home,
    TMPDIR: box.tmp,
    SHIPYARD_OUTPUT: box.output,
    SHIPYARD_WORKSPACE: cwd,
    ...env,
  };
}

/** Run a script as the runner does: `bash --noprofile --norc -eo pipefail -c`, in `cwd`, with a clean env. */
export function runScript(box: Sandbox, script: string, env: Record<string, string> = {}, cwd = box.ws): ScriptResult {
  const result = spawnSync("bash", [...BASH, script], { cwd, encoding: "utf8", env: scriptEnv(box, cwd, env), timeout: TIMEOUT_MS });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `runScript` without blocking the event loop, for scripts that talk to a server in this process. */
export function runScriptAsync(box: Sandbox, script: string, env: Record<string, string> = {}, cwd = box.ws): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    execFile("bash", [...BASH, script], { cwd, encoding: "utf8", env: scriptEnv(box, cwd, env), timeout: TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ status: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** The `key=value` lines the scripts appended to the output file. */
export function outputs(box: Sandbox): string[] {
  return readFileSync(box.output, "utf8").split("\n").filter(Boolean);
}

/** The sha of `ref` in the bare remote, or null when it does not exist. */
export function remoteRef(box: Sandbox, ref: string): string | null {
  try {
    return git(box.remote, "rev-parse", "--verify", "--quiet", ref);
  } catch {
    return null;
  }
}

/** Whether TMPDIR is empty (scripts removed their askpass and prompt files). */
export function tmpIsEmpty(box: Sandbox): boolean {
  return readdirSync(box.tmp).length === 0;
}

/** A unified diff that adds `file` with `content` (one line). */
export function addFileDiff(file: string, content: string): string {
  return [`diff --git a/${file} b/${file}`, "new file mode 100644", "--- /dev/null", `+++ b/${file}`, "@@ -0,0 +1 @@", `+${content}`, ""].join("\n");
}
