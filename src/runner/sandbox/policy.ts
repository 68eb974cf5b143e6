// How a runner sandboxes its steps: bubblewrap as an unprivileged user, checked once at start so that a runner
// that cannot sandbox refuses to start (saying how to fix it) instead of running steps unprotected.
import { spawnSync } from "node:child_process";
import { accessSync, chmodSync, constants as fsConstants, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { bwrapArgs } from "./bwrap.ts";

/** The sandbox a runner puts its steps in. */
export interface SandboxPolicy {
  /** The bwrap executable. */
  bwrap: string;
  /** The host user steps run as: when the runner is root, an unprivileged one; otherwise the runner's own. */
  uid: number;
  gid: number;
  /** True when steps run as another user than the runner (their directories are handed to that user). */
  switchesUser: boolean;
}

/** The runner cannot sandbox: the message says why and how to fix it. */
export class SandboxUnavailableError extends Error {
  constructor(reason: string) {
    super(
      `${reason}. Steps run in a bubblewrap sandbox: install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap) ` +
        "or start the runner with --no-sandbox to run steps unsandboxed (not for untrusted workflows)",
    );
    this.name = "SandboxUnavailableError";
  }
}

/** `nobody` on Debian and most distributions. */
const NOBODY = 65534;

/** Find bwrap: SHIPYARD_BWRAP when set, else on PATH. */
function findBwrap(env: NodeJS.ProcessEnv): string | null {
  const candidates = env.SHIPYARD_BWRAP ? [env.SHIPYARD_BWRAP] : (env.PATH ?? "").split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, "bwrap"));
  return candidates.find((c) => {
    try {
      accessSync(c, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  }) ?? null;
}

/**
 * The sandbox this runner can use, after running `true` in one; throws SandboxUnavailableError when bwrap is
 * missing or cannot create its namespaces here. As root, steps run as SHIPYARD_SANDBOX_UID (default 65534).
 */
export function detectSandbox(env: NodeJS.ProcessEnv = process.env): SandboxPolicy {
  const bwrap = findBwrap(env);
  if (!bwrap) throw new SandboxUnavailableError("bubblewrap (bwrap) is not installed on this machine");
  const myUid = process.getuid?.() ?? 0;
  const myGid = process.getgid?.() ?? 0;
  const root = myUid === 0;
  const uid = root ? Number(env.SHIPYARD_SANDBOX_UID ?? NOBODY) : myUid;
  const gid = root ? Number(env.SHIPYARD_SANDBOX_GID ?? uid) : myGid;
  if (!Number.isInteger(uid) || uid <= 0 || !Number.isInteger(gid) || gid <= 0) {
    throw new SandboxUnavailableError(`SHIPYARD_SANDBOX_UID/GID must name an unprivileged user (a positive integer), got ${uid}/${gid}`);
  }
  const policy: SandboxPolicy = { bwrap, uid, gid, switchesUser: uid !== myUid };
  const probe = mkdtempSync(path.join(os.tmpdir(), "shipyard-sandbox-probe-"));
  try {
    chmodSync(probe, 0o755); // an empty directory the sandbox user must reach
    const run = spawnSync(bwrap, bwrapArgs({ workspace: probe, taskDir: probe, readOnly: [], writable: [], network: false, cwd: "/" }, ["true"]), {
      uid: policy.switchesUser ? uid : undefined,
      gid: policy.switchesUser ? gid : undefined,
      encoding: "utf8",
      timeout: 10_000,
      cwd: "/",
    });
    if (run.error || run.status !== 0) {
      const why = (run.stderr || run.error?.message || `exit ${run.status}`).trim().split("\n")[0];
      throw new SandboxUnavailableError(`bubblewrap (${bwrap}) cannot create a sandbox here: ${why}`);
    }
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
  return policy;
}
