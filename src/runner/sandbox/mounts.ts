// Which host directories a runner shows its sandboxes besides the system: its own installation (the agents'
// programs), the toolchains on its PATH, and, for a job's git stages, a local repository named by the project.
// None of them may reveal the runner's work dir (other workspaces, the data dir above it).
import { existsSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { reachableByOthers } from "../../host/traverse.ts";
import { isSystemPath } from "./bwrap.ts";

/** The parts of a Shipyard installation an agent needs to run (never its data dir or cassettes). */
const INSTALLATION_PARTS = ["src", "node_modules", "bin", "package.json"];

/** True when `a` and `b` are the same directory or one contains the other. */
function overlaps(a: string, b: string): boolean {
  const inside = (x: string, y: string) => x === y || x.startsWith(y.endsWith("/") ? y : `${y}/`);
  return inside(a, b) || inside(b, a);
}

function real(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

/**
 * The read-only directories every sandbox of this runner gets: the installation's parts, Node's own directory
 * when it is not under /usr, and each existing absolute PATH entry outside the system dirs. Entries that overlap
 * the work dir are left out, and so are ones the sandbox user could not reach anyway (`othersOnly`: it is not
 * the runner's user).
 */
export function runnerReadOnlyDirs(o: { shipyardHome: string; workDir: string; pathVar: string; nodeBin: string; othersOnly: boolean }): string[] {
  const workDir = real(o.workDir) ?? path.resolve(o.workDir);
  const dirs = new Set<string>();
  const add = (candidate: string, mustBeReachable: boolean) => {
    if (!path.isAbsolute(candidate)) return;
    const r = real(candidate);
    if (!r || r === "/" || isSystemPath(r) || overlaps(r, workDir)) return;
    if (mustBeReachable && o.othersOnly && !reachableByOthers(statSync(r).isDirectory() ? r : path.dirname(r))) return;
    dirs.add(r);
  };
  for (const part of INSTALLATION_PARTS) add(path.join(o.shipyardHome, part), false);
  add(path.dirname(path.dirname(o.nodeBin)), true);
  for (const entry of o.pathVar.split(path.delimiter)) if (entry) add(entry, true);
  return [...dirs];
}

/** A local repository a job's git stage may see: refused unless it is a git repository away from the work dir. */
export function checkRepoMount(p: string, workDir: string): string {
  if (!path.isAbsolute(p)) throw new Error(`a mount must be an absolute path, got ${JSON.stringify(p)}`);
  const r = real(p);
  if (!r || !statSync(r).isDirectory()) throw new Error(`${p} is not a directory on this runner`);
  if (r === "/" || overlaps(r, real(workDir) ?? path.resolve(workDir))) throw new Error(`${p} overlaps the runner's work dir and cannot be shown to a step`);
  const isRepo = existsSync(path.join(r, ".git")) || (existsSync(path.join(r, "HEAD")) && existsSync(path.join(r, "objects")));
  if (!isRepo) throw new Error(`${p} is not a git repository`);
  return r;
}
