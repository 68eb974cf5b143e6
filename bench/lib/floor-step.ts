// What one step of a floor benchmark does besides its checkpoint: spawn `bash -c true`, directly or inside the
// bubblewrap sandbox exactly as the runner starts a step (same policy, same mounts: a workspace, a task dir).
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, chownSync, chmodSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { bwrapArgs } from "../../src/runner/sandbox/bwrap.ts";
import { detectSandbox } from "../../src/runner/sandbox/policy.ts";

const run = promisify(execFile);

export type FloorKind = "bash" | "bwrap";

/** A step body for `kind`: resolves once its process has exited (rejects when it fails). */
export async function spawnFloorStep(kind: FloorKind): Promise<(i: number) => Promise<number>> {
  if (kind === "bash") {
    return async (i) => {
      await run("bash", ["--noprofile", "--norc", "-c", "true"]);
      return i;
    };
  }
  const policy = detectSandbox();
  const root = mkdtempSync(path.join(os.tmpdir(), "shipyard-floor-"));
  chmodSync(root, 0o755);
  const workspace = path.join(root, "ws");
  const taskDir = path.join(root, "task");
  for (const dir of [workspace, taskDir]) {
    mkdirSync(dir);
    if (policy.switchesUser) chownSync(dir, policy.uid, policy.gid);
  }
  const args = bwrapArgs({ workspace, taskDir, readOnly: [], writable: [], network: false }, ["bash", "--noprofile", "--norc", "-c", "true"]);
  const ids = policy.switchesUser ? { uid: policy.uid, gid: policy.gid } : {};
  return async (i) => {
    await run(policy.bwrap, args, { cwd: "/", ...ids });
    return i;
  };
}
