// Which repository locations a project may name. The runner clones them with the project's credentials, so
// only transports that authenticate the remote (https, ssh) are accepted as they are; git's remote helpers
// (`ext::` runs a command, `fd::` reads a descriptor), local paths and embedded credentials are not.
import { assertRepoLocation } from "../git/shell.ts";
import { urlFormProblem, type UrlPolicy } from "./url-policy.ts";

const ACCEPTED = "use https://, ssh:// or git@host:path";

const localOff = (what: string) =>
  `${what} repositories are turned off on this server (SHIPYARD_ALLOW_LOCAL_REPOS=false); ${ACCEPTED}`;

/** Why a project may not use `repo` under `policy`, or null when it may. */
export function repoLocationProblem(repo: string, policy: Pick<UrlPolicy, "allowLocalRepos" | "allowedHttpHosts">): string | null {
  if (repo.startsWith("-")) return `it starts with '-', which git would read as an option; ${ACCEPTED}`;
  if (/^[a-z][a-z0-9+.-]*::/i.test(repo)) return `git remote helpers (${repo.slice(0, repo.indexOf("::") + 2)}) are not accepted; ${ACCEPTED}`;
  try {
    assertRepoLocation(repo);
  } catch {
    return `expected a URL, user@host:path or an absolute path; ${ACCEPTED}`;
  }
  if (repo.startsWith("/")) return policy.allowLocalRepos ? null : localOff("local path");
  if (!repo.includes("://")) {
    // scp-style user@host:path (its shape checked by assertRepoLocation)
    const host = repo.slice(repo.indexOf("@") + 1);
    return host.startsWith("-") ? `its host starts with '-', which ssh would read as an option; ${ACCEPTED}` : null;
  }
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return `it is not a valid URL; ${ACCEPTED}`;
  }
  if (url.hostname.startsWith("-") || url.username.startsWith("-")) return `its host or user starts with '-', which ssh would read as an option; ${ACCEPTED}`;
  switch (url.protocol) {
    case "file:":
      return policy.allowLocalRepos ? null : localOff("file://");
    case "ssh:":
      return url.password ? "it carries a password; give credentials as the project's credentials instead" : null;
    case "https:":
    case "http:":
      return urlFormProblem(url, policy);
    default:
      return `the scheme ${url.protocol.replace(/:$/, "")} is not accepted; ${ACCEPTED}`;
  }
}
