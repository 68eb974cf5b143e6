// The agent's file system view: every path a tool receives is resolved inside the workspace, and refused when
// it escapes it, lexically (`..`, absolute paths elsewhere) or through symlinks (every link of a chain is
// followed, so `a -> b -> /outside/file` is refused even while the file does not exist).
import { promises as fs } from "node:fs";
import path from "node:path";

/** A tool's failure that the model should see (a refused path, a missing file, a bad argument). */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ToolError";
  }
}

/** Most symlinks one path may pass through, as Linux allows (MAXSYMLINKS); more is a loop or an attack. */
export const MAX_SYMLINK_HOPS = 40;

/**
 * `p` (relative to the workspace, or absolute inside it) as the absolute path a read or write will really reach,
 * or ToolError when that is outside the workspace: lexically (`..`, absolute paths elsewhere) or through
 * symlinks, followed link by link, dangling or not, through directories and chains (up to MAX_SYMLINK_HOPS).
 * The path returned has no symlink left in it, so writing to it creates nothing outside.
 */
export async function confine(workspace: string, p: string): Promise<string> {
  if (typeof p !== "string" || p.length === 0) throw new ToolError("path must be a non-empty string");
  if (p.includes("\0")) throw new ToolError("path must not contain NUL bytes");
  const root = await fs.realpath(workspace);
  // Lexically first, for a plain answer to `..` and absolute paths elsewhere (an absolute path may name the
  // workspace by the path it was given as, which need not be its real one).
  const lexical = path.resolve(root, p);
  if (!inside(root, lexical) && !(path.isAbsolute(p) && inside(path.resolve(workspace), lexical))) {
    throw new ToolError(`path ${JSON.stringify(p)} is outside the workspace`);
  }
  // Then as the kernel resolves it: `..` after a symlink climbs from the link's target, not from the link.
  const real = await resolveLinks(path.isAbsolute(p) ? path.parse(p).root : root, p, p);
  if (!inside(root, real)) throw new ToolError(`path ${JSON.stringify(p)} resolves outside the workspace (symlink)`);
  return real;
}

/**
 * Walks `rel` from the real directory `start` one name at a time as the kernel would, replacing each symlink met
 * by its target; stops at the first name that does not exist (what follows is to be created). Returns the path
 * reached.
 */
async function resolveLinks(start: string, rel: string, shown: string): Promise<string> {
  let current = start; // always a real path: no symlink in it
  const pending = rel.split(path.sep).filter((name) => name !== "" && name !== ".");
  let hops = 0;
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    if (name === "..") {
      current = path.dirname(current); // the real parent, since `current` is real
      continue;
    }
    const next = path.join(current, name);
    const stat = await fs.lstat(next).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT" || err.code === "ENOTDIR") return null;
      throw err;
    });
    if (stat === null) {
      // The rest does not exist yet; a `..` (from a link) would climb out of a directory that is not there.
      if (pending.includes("..")) throw new ToolError(`path ${JSON.stringify(shown)} leads through a directory that does not exist`);
      return path.join(next, ...pending.filter((n) => n !== "."));
    }
    if (!stat.isSymbolicLink()) {
      current = next;
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) throw new ToolError(`path ${JSON.stringify(shown)} passes through more than ${MAX_SYMLINK_HOPS} symlinks`);
    const link = await fs.readlink(next);
    if (path.isAbsolute(link)) current = path.parse(link).root;
    pending.unshift(...link.split(path.sep).filter((n) => n !== "" && n !== "."));
  }
  return current;
}

/** The workspace-relative form of an absolute path inside it, for messages the model reads. */
export function relative(root: string, abs: string): string {
  return path.relative(root, abs) || ".";
}

function inside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
