// A step's `working-directory`, resolved on the runner inside the run's workspace. The server validated it as
// written (relative, no `..`), but only the runner sees the workspace, where an earlier step may have made part
// of the path a symlink to anywhere: so the path is resolved for real (the real path of its deepest existing
// part) and refused unless it stays inside the workspace.
import { lstatSync, mkdirSync, realpathSync } from "node:fs";
import path from "node:path";

/** A working directory that leads outside the workspace or cannot be made; the step fails with this message. */
export class WorkingDirectoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkingDirectoryError";
  }
}

function inside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** True when something (a dangling symlink included) is at `p`; a file where a directory was expected is nothing. */
function isEntry(p: string): boolean {
  try {
    return lstatSync(p, { throwIfNoEntry: false }) !== undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOTDIR") return false;
    throw err;
  }
}

/**
 * The directory a step runs in: `workspace` itself without `dir`, else the real path of `dir` inside it,
 * created when missing. Throws WorkingDirectoryError for an absolute path, a `..` escape, or a symlink (dangling or not)
 * that leads outside the workspace. Synchronous like the rest of a step's start (a few local syscalls).
 */
export function resolveWorkingDirectory(workspace: string, dir: string | undefined): string {
  if (dir === undefined) return workspace;
  const root = realpathSync(workspace);
  const shown = JSON.stringify(dir);
  const refuse = (why: string) => new WorkingDirectoryError(`working-directory ${shown} ${why}`);
  if (dir.includes("\0")) throw refuse("contains a NUL character");
  if (path.isAbsolute(dir)) throw refuse("must be relative to the run's workspace");
  const target = path.resolve(root, dir);
  if (!inside(root, target)) throw refuse("is outside the run's workspace");
  // The deepest part of the path that exists (as an entry: a dangling symlink counts), and the names below it.
  let existing = target;
  const missing: string[] = [];
  while (existing !== root && !isEntry(existing)) {
    missing.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    throw refuse(`leads through ${JSON.stringify(path.relative(root, existing))}, a symbolic link to nothing, so where it ends cannot be checked`);
  }
  if (!inside(root, real)) throw refuse(`leads outside the run's workspace through a symbolic link (${JSON.stringify(path.relative(root, existing))})`);
  if (missing.length === 0 && !lstatSync(real).isDirectory()) throw refuse("is not a directory");
  const resolved = path.join(real, ...missing);
  try {
    mkdirSync(resolved, { recursive: true });
  } catch (err) {
    throw refuse(`cannot be created: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // What exists now is what the step gets: check the made directory once more, the way the step will see it.
  const made = realpathSync(resolved);
  if (!inside(root, made)) throw refuse("leads outside the run's workspace through a symbolic link");
  return made;
}
