import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

// The sandboxed stages write the remote as another user; the tests read it as theirs.
const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-c", "safe.directory=*", ...args], { cwd, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } }).trim();

/**
 * A tiny shell project in a bare "remote" repository: `math.sh` defines add(), `test.sh` runs every
 * tests/*.sh. Returns the remote's path and a helper to read it. `mathSh` replaces math.sh (e.g. a buggy add()
 * so the tests fail until an agent fixes it).
 */
export async function makeFixtureRemote(opts: { mathSh?: string } = {}): Promise<{ remote: string; git: (...args: string[]) => string }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-fixture-"));
  const work = path.join(root, "work");
  const remote = path.join(root, "remote.git");
  await fs.mkdir(path.join(work, "tests"), { recursive: true });
  await fs.writeFile(path.join(work, "math.sh"), opts.mathSh ?? "add() { echo $(( $1 + $2 )); }\n");
  await fs.writeFile(path.join(work, "tests", "add.sh"), 'source ./math.sh\n[ "$(add 2 3)" = 5 ] || { echo "add is wrong"; exit 1; }\necho "add ok"\n');
  await fs.writeFile(path.join(work, "test.sh"), 'set -e\nfor t in tests/*.sh; do bash "$t"; done\necho "all tests passed"\n');
  git(work, "init", "-q", "-b", "main");
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "initial");
  execFileSync("git", ["clone", "-q", "--bare", work, remote]);
  // Job stages run sandboxed as an unprivileged user (nobody, when the tests run as root): it must reach the
  // remote and push to it, as it would a shared repository.
  git(remote, "config", "core.sharedRepository", "0777");
  execFileSync("chmod", ["-R", "a+rwX", remote]);
  await fs.chmod(root, 0o755);
  return { remote, git: (...args: string[]) => git(remote, ...args) };
}

/** A diff that adds mul() to math.sh and a test for it. */
export const ADD_MUL_PATCH = `diff --git a/math.sh b/math.sh
--- a/math.sh
+++ b/math.sh
@@ -1 +1,2 @@
 add() { echo $(( $1 + $2 )); }
+mul() { echo $(( $1 * $2 )); }
diff --git a/tests/mul.sh b/tests/mul.sh
new file mode 100644
--- /dev/null
+++ b/tests/mul.sh
@@ -0,0 +1,3 @@
+source ./math.sh
+[ "$(mul 3 4)" = 12 ] || { echo "mul is wrong"; exit 1; }
+echo "mul ok"
`;

/** A diff whose test fails verification. */
export const BROKEN_PATCH = `diff --git a/tests/broken.sh b/tests/broken.sh
new file mode 100644
--- /dev/null
+++ b/tests/broken.sh
@@ -0,0 +1,2 @@
+echo "expected 4, got 5"
+exit 1
`;
