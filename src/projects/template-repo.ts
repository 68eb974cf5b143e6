// Git on the server's side for projects created from a template: Shipyard's own bare repositories and the
// template's first commit. git runs as a child process with an argument vector (never a shell), with no user or
// system configuration (no hooks, signing or credential helpers of the host), never prompting.
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { ShipyardError } from "../domain/errors.ts";
import { MANIFEST_FILE, type Template } from "./templates.ts";

const execFileAsync = promisify(execFile);

/** Who the template's commit is by. */
const AUTHOR = { name: "Shipyard", email: "shipyard@localhost" };

function gitEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    // Only the transports a project's repo may use (no remote helpers), and ssh never waits on a question.
    GIT_ALLOW_PROTOCOL: "file:https:http:ssh",
    GIT_SSH_COMMAND: "ssh -o BatchMode=yes",
    GIT_AUTHOR_NAME: AUTHOR.name,
    GIT_AUTHOR_EMAIL: AUTHOR.email,
    GIT_COMMITTER_NAME: AUTHOR.name,
    GIT_COMMITTER_EMAIL: AUTHOR.email,
    ...extra,
  };
}

/** Run git in `cwd`; a failure says which command failed and git's last words (never the environment). */
async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync("git", args, { cwd, env: gitEnv(env), maxBuffer: 16 * 1024 * 1024, timeout: 120_000 });
    return stdout.trim();
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim().split("\n").slice(-3).join("\n");
    throw new Error(`git ${args[0]} failed${stderr ? `: ${stderr}` : ""}`, { cause: err });
  }
}

/**
 * Create an empty bare repository at `dir` whose default branch is `branch`. Job stages run sandboxed as another
 * user and push to it, so it is a shared repository every user may write (as git's `--shared=0777` makes it).
 */
export async function createManagedRepo(dir: string, branch: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await git(dir, ["init", "--quiet", "--bare", "--shared=0777", `--initial-branch=${branch}`, "."]);
}

/** Give every user read and write access to a managed repository (what the push left behind included). */
export async function shareManagedRepo(dir: string): Promise<void> {
  await execFileAsync("chmod", ["-R", "a+rwX", "--", dir]);
}

// The askpass helper reads the token from the environment when git calls it: it is never in a file, a URL or
// the repository's config.
const ASKPASS = `#!/bin/sh
case "$1" in
  Username*) echo x-access-token ;;
  *) printf '%s\\n' "$SHIPYARD_GIT_TOKEN" ;;
esac
`;

/**
 * Commit the template's files (all but its manifest) as the first commit of a fresh repository in `work` (an
 * empty scratch directory) and push it to `remote`'s `branch`. Returns the commit. A remote whose branch already
 * has other history refuses the push: nothing is overwritten.
 */
export async function commitTemplate(
  template: Template,
  o: { work: string; remote: string; branch: string; message: string; token?: string },
): Promise<string> {
  const manifest = path.join(template.dir, MANIFEST_FILE);
  await fs.cp(template.dir, o.work, { recursive: true, filter: (src) => src !== manifest });
  await git(o.work, ["init", "--quiet", `--initial-branch=${o.branch}`]);
  await git(o.work, ["add", "--all"]);
  await git(o.work, ["-c", "core.hooksPath=/dev/null", "commit", "--quiet", "--no-verify", "--message", o.message]);
  const commit = await git(o.work, ["rev-parse", "HEAD"]);
  const env: Record<string, string> = {};
  if (o.token) {
    const askpass = path.join(path.dirname(o.work), "askpass.sh");
    await fs.writeFile(askpass, ASKPASS, { mode: 0o700 });
    Object.assign(env, { GIT_ASKPASS: askpass, SHIPYARD_GIT_TOKEN: o.token });
  }
  try {
    // The remote's host was checked, not where it might redirect to.
    await git(o.work, ["-c", "http.followRedirects=false", "push", "--quiet", "--no-verify", "--", o.remote, `HEAD:refs/heads/${o.branch}`], env);
  } catch (err) {
    throw new ShipyardError("repo_not_allowed", `the template could not be pushed to the repository's ${o.branch} branch (it must be reachable and have no ${o.branch} yet): ${(err as Error).message}`, 422, undefined, { cause: err });
  }
  return commit;
}
