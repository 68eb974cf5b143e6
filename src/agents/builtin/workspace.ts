// The agent's file system view: every path a tool receives is resolved inside the workspace, and refused when
// it escapes it, lexically (`..`, absolute paths elsewhere) or through a symlink that resolves outside.
import { promises as fs } from "node:fs";
import path from "node:path";

/** A tool's failure that the model should see (a refused path, a missing file, a bad argument). */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ToolError";
  }
}

/** `p` (relative to the workspace, or absolute inside it) as an absolute path, or ToolError when it escapes. */
export async function confine(workspace: string, p: string): Promise<string> {
  if (typeof p !== "string" || p.length === 0) throw new ToolError("path must be a non-empty string");
  if (p.includes("\0")) throw new ToolError("path must not contain NUL bytes");
  const root = await fs.realpath(workspace);
  const target = path.resolve(root, p);
  if (!inside(root, target)) throw new ToolError(`path ${JSON.stringify(p)} is outside the workspace`);
  // Resolve symlinks on the deepest part of the path that exists (a file being created does not exist yet).
  let existing = target;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = await fs.realpath(existing);
      if (!inside(root, real)) throw new ToolError(`path ${JSON.stringify(p)} resolves outside the workspace (symlink)`);
      return path.join(real, ...rest);
    } catch (err) {
      if (err instanceof ToolError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw err;
      // A dangling symlink is refused too when its target would lie outside.
      const link = await fs.readlink(existing).catch(() => null);
      if (link !== null && !inside(root, path.resolve(path.dirname(existing), link))) {
        throw new ToolError(`path ${JSON.stringify(p)} resolves outside the workspace (symlink)`);
      }
      if (existing === root) return target;
      rest.unshift(path.basename(existing));
      existing = path.dirname(existing);
    }
  }
}

/** The workspace-relative form of an absolute path inside it, for messages the model reads. */
export function relative(root: string, abs: string): string {
  return path.relative(root, abs) || ".";
}

function inside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
