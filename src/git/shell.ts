// Quoting and input checks shared by the script generators: every value a script embeds goes through here.

/** Quote a string as one bash word that expands to exactly that string (NUL cannot be passed to bash at all). */
export function shellQuote(value: string): string {
  if (value.includes("\0")) throw new TypeError("a shell word cannot contain NUL");
  // Single quotes turn off every expansion; a quote inside is closed, escaped and reopened.
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Throw unless `name` is a branch name git accepts and no git command could mistake for an option. */
export function assertBranchName(name: string, what = "branch"): void {
  const problem = branchNameProblem(name);
  if (problem) throw new TypeError(`invalid ${what} name ${JSON.stringify(name)}: ${problem}`);
}

// The rules of `git check-ref-format --branch`, checked up front so a bad name fails before any script runs.
function branchNameProblem(name: string): string | null {
  if (name === "") return "it is empty";
  if (name.startsWith("-")) return "it starts with '-'";
  if (name === "@" || name === "HEAD") return "it is reserved";
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return "it contains a space, a control character or one of ~^:?*[\\";
  if (name.includes("..") || name.includes("@{") || name.includes("//")) return "it contains '..', '@{' or '//'";
  if (name.startsWith("/") || name.endsWith("/") || name.endsWith(".")) return "it starts with '/' or ends with '/' or '.'";
  if (name.split("/").some((part) => part.startsWith(".") || part.endsWith(".lock"))) {
    return "a component starts with '.' or ends with '.lock'";
  }
  return null;
}

/** Throw unless `repo` is a URL, an scp-style `user@host:path` or an absolute path (never something git reads as an option). */
export function assertRepoLocation(repo: string): void {
  // eslint-disable-next-line no-control-regex
  const ok = !/[\x00-\x1f\x7f]/.test(repo) && /^(?:[a-z][a-z0-9+.-]*:\/\/\S+|[\w.-]+@[\w.-]+:\S+|\/.*)$/i.test(repo);
  if (!ok) throw new TypeError(`invalid repository ${JSON.stringify(repo)}: expected a URL, user@host:path or an absolute path`);
}
