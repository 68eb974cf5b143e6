// A project's repository may be a directory on the runner's machine (a local path or a file:// URL). A job's git
// stages run sandboxed, so such a repository is shown to them as a mount: read-only to clone or fetch,
// read-write to push.
import { fileURLToPath } from "node:url";

/** The directory of a local repository location, or null for a remote one (https, ssh, user@host:path). */
export function localRepoPath(repo: string): string | null {
  if (repo.startsWith("/")) return repo;
  if (repo.startsWith("file://")) {
    try {
      return fileURLToPath(repo);
    } catch {
      return null;
    }
  }
  return null;
}

/** The sandbox mounts a git stage needs for `repo`: none for a remote one. */
export function repoMounts(repo: string, writable: boolean): { path: string; writable: boolean }[] {
  const dir = localRepoPath(repo);
  return dir ? [{ path: dir, writable }] : [];
}
