// Other users reaching into directories this process owns: PostgreSQL (run as `postgres` when Shipyard runs as
// root) and the step sandbox (run as an unprivileged user) must pass through private parents such as /root or a
// mode-700 temp dir. Traverse (o+x) lets them reach a known path without listing what lies beside it.
import { constants as fsConstants, promises as fs, statSync } from "node:fs";
import path from "node:path";

/** `target` and every ancestor of it, outermost first (the root excluded). */
function ancestry(target: string): string[] {
  const chain: string[] = [];
  for (let current = path.resolve(target); current !== path.dirname(current); current = path.dirname(current)) chain.push(current);
  return chain.reverse();
}

/** Add o+x to each ancestor of `target` (and to `target`) that lacks it; `onGrant` is told each one changed. */
export async function grantTraverse(target: string, onGrant?: (dir: string) => void): Promise<void> {
  for (const dir of ancestry(target)) {
    const st = await fs.stat(dir).catch(() => null);
    if (!st?.isDirectory()) continue;
    if ((st.mode & fsConstants.S_IXOTH) === 0) {
      onGrant?.(dir);
      await fs.chmod(dir, st.mode | fsConstants.S_IXOTH);
    }
  }
}

/** True when any user can reach `dir` and list it (o+x on every ancestor, o+rx on it), without changing anything. */
export function reachableByOthers(dir: string): boolean {
  const chain = ancestry(dir);
  return chain.every((d, i) => {
    try {
      const st = statSync(d);
      const need = i === chain.length - 1 ? fsConstants.S_IXOTH | fsConstants.S_IROTH : fsConstants.S_IXOTH;
      return (st.mode & need) === need;
    } catch {
      return false;
    }
  });
}
