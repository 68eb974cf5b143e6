// The bubblewrap command line of one sandboxed step. A step sees a read-only system, its own workspace
// (read-write), its task directory (the output file), a private /tmp and HOME, and nothing else of the host: new
// user, mount, PID, IPC, UTS and network namespaces, so no other process, no runner file or environment, and no
// network unless the step asked for it.
import { lstatSync, readlinkSync } from "node:fs";

/** Where things appear inside every sandbox. */
export const SANDBOX_HOME = "/home/shipyard";
export const SANDBOX_TASK_DIR = "/run/shipyard/task";
export const SANDBOX_OUTPUT = `${SANDBOX_TASK_DIR}/output`;
export const SANDBOX_SERVER_DIR = "/run/shipyard/server";
/** The Unix socket inside the sandbox through which an agent reaches the server's model endpoint. */
export const SANDBOX_SERVER_SOCKET = `${SANDBOX_SERVER_DIR}/server.sock`;

/** The system directories a toolchain needs, read-only; on a merged-/usr system /bin, /lib... are symlinks. */
const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt"];

/** One step's view of the host. */
export interface SandboxMounts {
  /** The run's (or job's) workspace: read-write, at the same path as on the host. */
  workspace: string;
  /** This attempt's directory (holds the output file): read-write, at SANDBOX_TASK_DIR. */
  taskDir: string;
  /** The directory of the runner's server socket, read-only at SANDBOX_SERVER_DIR (absent: none). */
  serverSocketDir?: string;
  /** Host directories shown read-only at the same path (the runner's installation, toolchains on its PATH). */
  readOnly: string[];
  /** Host directories shown read-write at the same path (a local git remote the step pushes to). */
  writable: string[];
  /** Share the host's network (the step asked for it); otherwise loopback only, of its own. */
  network: boolean;
  /** The working directory inside (default: the workspace). */
  cwd?: string;
}

/** The bwrap arguments that run `command` (argv) in the sandbox described by `m`. */
export function bwrapArgs(m: SandboxMounts, command: string[]): string[] {
  const args = ["--unshare-all", ...(m.network ? ["--share-net"] : []), "--die-with-parent", "--new-session"];
  for (const dir of SYSTEM_DIRS) {
    const st = lstatOrNull(dir);
    if (!st) continue;
    // A merged-/usr symlink is recreated as the same symlink; a real directory is bound read-only.
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
    else if (st.isDirectory()) args.push("--ro-bind", dir, dir);
  }
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", SANDBOX_HOME);
  for (const dir of m.readOnly) args.push("--ro-bind", dir, dir);
  for (const dir of m.writable) args.push("--bind", dir, dir);
  args.push("--bind", m.workspace, m.workspace, "--bind", m.taskDir, SANDBOX_TASK_DIR);
  if (m.serverSocketDir) args.push("--ro-bind", m.serverSocketDir, SANDBOX_SERVER_DIR);
  args.push("--chdir", m.cwd ?? m.workspace, "--", ...command);
  return args;
}

/** True when `dir` is already visible inside every sandbox (under a system directory). */
export function isSystemPath(dir: string): boolean {
  return SYSTEM_DIRS.some((s) => dir === s || dir.startsWith(`${s}/`));
}

function lstatOrNull(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}
