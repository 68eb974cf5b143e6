// Bash scripts for the git stages of a job. The runner executes each with `bash -eo pipefail -c` in the job's
// workspace. A crash can re-run any of them from the top, so each one checks what is already done before acting.
// Secrets (the git token, the prompt, the commit message, the patch) arrive as environment variables and are
// only ever read from there: interpolated values are the non-secret repo, branch and command strings, all quoted.
import { assertBranchName, assertRepoLocation, shellQuote } from "./shell.ts";

export { shellQuote } from "./shell.ts";

/** Where the job's branch starts and what it is called. */
export interface BranchSpec {
  /** The branch pull requests target, e.g. `main`. */
  defaultBranch: string;
  /** The job's own branch. */
  branch: string;
}

// Scripts below run inside the workspace; if its `.git` were missing or broken, git would walk up and could
// find the repository the runner itself lives in. The ceiling stops discovery at the workspace.
export const CEILING = `GIT_CEILING_DIRECTORIES="$(cd .. && pwd -P)"
export GIT_CEILING_DIRECTORIES`;

/**
 * The exit code of a stage that finds its workspace empty: the runner no longer has the clone an earlier stage
 * made (it was restarted with another work dir, or its disk was wiped), which is the runner's loss, not the
 * job's failure (the stage's workflow treats it as a lost runner: a new attempt starts from a fresh clone).
 */
export const WORKSPACE_GONE_EXIT = 75;

/** The output the workspace check sets as it exits WORKSPACE_GONE_EXIT: an agent may exit with that code itself. */
export const WORKSPACE_GONE_OUTPUT = "shipyard_workspace_gone";

/**
 * First in a stage that needs what an earlier stage left in the workspace: exits WORKSPACE_GONE_EXIT, with output
 * WORKSPACE_GONE_OUTPUT set, when it is empty.
 */
export const REQUIRE_WORKSPACE = `if [ -z "$(ls -A)" ]; then
  echo "shipyard: $PWD is empty: this runner no longer has the clone an earlier stage made" >&2
  echo "${WORKSPACE_GONE_OUTPUT}=1" >> "\${SHIPYARD_OUTPUT:-/dev/null}"
  exit ${WORKSPACE_GONE_EXIT}
fi`;

/** Whether a stage's result is REQUIRE_WORKSPACE's exit: its code and its output (the code alone may be the agent's). */
export function foundWorkspaceGone(result: { status: string; exitCode: number | null; outputs?: Record<string, string> }): boolean {
  return result.status === "failed" && result.exitCode === WORKSPACE_GONE_EXIT && result.outputs?.[WORKSPACE_GONE_OUTPUT] === "1";
}

export const REQUIRE_CLONE = `${REQUIRE_WORKSPACE}
if [ ! -d .git ]; then
  echo "shipyard: $PWD is not a git clone (the prepare step has not run)" >&2
  exit 2
fi`;

// A step killed mid-command leaves git's lock files behind and every later git command would then refuse to
// run. Only this job's stages use the clone, and they run one at a time, so any lock found at a start is stale.
export const STALE_LOCKS = `find .git -name '*.lock' -type f -delete`;

/** Stage everything and commit it (message from env SHIPYARD_COMMIT_MESSAGE) unless nothing is staged. */
export const COMMIT_STAGED = `git add --all
# Commit only what is staged: after a crash that followed the commit, a re-run finds nothing and keeps HEAD.
if ! git diff --cached --quiet; then
  if [ -z "\${SHIPYARD_COMMIT_MESSAGE:-}" ]; then
    echo "shipyard: SHIPYARD_COMMIT_MESSAGE is empty" >&2
    exit 2
  fi
  # Hooks are off: the agent controls the tree and could have planted one.
  printf '%s\\n' "$SHIPYARD_COMMIT_MESSAGE" | git -c core.hooksPath=/dev/null commit --quiet --no-verify --file=-
fi`;

// With SHIPYARD_GIT_TOKEN set, git gets credentials from an askpass helper outside the workspace. The helper
// reads the token from the environment when git calls it, so the token is never written to a file, a URL,
// .git/config or the output. An empty credential.helper drops any configured helper, which could store it.
// Without a token git must still never wait on a terminal prompt: a stage has nobody to answer it.
export const AUTH = `export GIT_TERMINAL_PROMPT=0
if [ -n "\${SHIPYARD_GIT_TOKEN:-}" ]; then
  shipyard_askpass="$(mktemp "\${TMPDIR:-/tmp}/shipyard-askpass.XXXXXX")"
  trap 'rm -f "$shipyard_askpass"' EXIT
  chmod 700 "$shipyard_askpass"
  cat > "$shipyard_askpass" <<'SHIPYARD_ASKPASS'
#!/bin/sh
case "$1" in
  Username*) echo x-access-token ;;
  *) printf '%s\\n' "$SHIPYARD_GIT_TOKEN" ;;
esac
SHIPYARD_ASKPASS
  export GIT_ASKPASS="$shipyard_askpass"
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=credential.helper GIT_CONFIG_VALUE_0=
fi`;

/** Clone (or fetch) the repo and put a clean checkout of the job's branch, started from the default branch, in cwd. */
export function prepareScript(spec: BranchSpec & { repo: string }): string {
  assertRepoLocation(spec.repo);
  assertBranchName(spec.defaultBranch, "default branch");
  assertBranchName(spec.branch);
  return `# shipyard: prepare the workspace
repo=${shellQuote(spec.repo)}
default_branch=${shellQuote(spec.defaultBranch)}
branch=${shellQuote(spec.branch)}
${CEILING}
${AUTH}
if [ -d .git ]; then
  ${STALE_LOCKS}
fi
if [ -d .git ] && git rev-parse --is-inside-work-tree >/dev/null 2>&1 && git remote get-url origin >/dev/null 2>&1; then
  # The workspace may have served another repo URL (or the URL changed): fetch from the one asked for.
  git remote set-url origin "$repo"
  git fetch --quiet --prune origin
else
  # No usable clone: a fresh workspace, or a clone a crash cut short. git clones only into an empty directory.
  find . -mindepth 1 -delete
  git clone --quiet -- "$repo" .
fi
# Re-running resets the branch to the default branch on purpose: this stage always starts the job afresh.
git checkout --quiet --force --no-track -B "$branch" "refs/remotes/origin/$default_branch"
git reset --quiet --hard
git clean -ffdxq
git config user.name >/dev/null || git config user.name Shipyard
git config user.email >/dev/null || git config user.email shipyard@localhost
echo "workspace ready: $branch at $(git rev-parse --short HEAD) (origin/$default_branch)"
`;
}

/** Apply the unified diff in env SHIPYARD_PATCH to the workspace, unless it is already applied. */
export function patchScript(): string {
  return `# shipyard: apply a patch
${CEILING}
${REQUIRE_CLONE}
if [ -z "\${SHIPYARD_PATCH:-}" ]; then
  echo "shipyard: SHIPYARD_PATCH is empty" >&2
  exit 2
fi
# A patch that reverses cleanly is already in the tree: a re-run after a crash must not apply it twice.
if printf '%s\\n' "$SHIPYARD_PATCH" | git apply --reverse --check --whitespace=nowarn - >/dev/null 2>&1; then
  echo "patch already applied"
  exit 0
fi
printf '%s\\n' "$SHIPYARD_PATCH" | git apply --whitespace=nowarn -
echo "patch applied"
`;
}

// The agent executors read the prompt from a file outside the workspace, so it cannot end up in the commit.
const PROMPT_FILE = `if [ -z "\${SHIPYARD_PROMPT:-}" ]; then
  echo "shipyard: SHIPYARD_PROMPT is empty" >&2
  exit 2
fi
prompt_file="$(mktemp "\${TMPDIR:-/tmp}/shipyard-prompt.XXXXXX")"
trap 'rm -f "$prompt_file"' EXIT
printf '%s' "$SHIPYARD_PROMPT" > "$prompt_file"
export SHIPYARD_PROMPT_FILE="$prompt_file"`;

/**
 * Resolve a relative program path in variable `name` against $SHIPYARD_HOME, the installation of the runner
 * running the script (an absolute path is kept: tests pass their own stubs).
 */
export function fromShipyardHome(name: string): string {
  return `case "$${name}" in /*) ;; *) ${name}="\${SHIPYARD_HOME:?the runner did not set SHIPYARD_HOME}/$${name}" ;; esac`;
}

/** Run the user's agent command with env SHIPYARD_PROMPT_FILE naming a file (outside the workspace) that holds the prompt. */
export function commandAgentScript(command: string): string {
  return `# shipyard: run the agent
command=${shellQuote(command)}
${PROMPT_FILE}
status=0
bash --noprofile --norc -c "$command" || status=$?
exit "$status"
`;
}

/**
 * Run Claude Code (`claude -p`) in the workspace with the prompt on stdin, its stream-json output piped through
 * the mapper (`node <mapper>`), which prints agent event markers and readable lines, records usage and the
 * result text in $SHIPYARD_OUTPUT and exits non-zero on an error result. `--max-budget-usd` caps the session at
 * $SHIPYARD_BUDGET_USD (what the server says is left) or else `budgetUsd`; with nothing left it does not start. Fails when claude exits non-zero or the mapper does.
 */
export function claudeCodeAgentScript(opts: { mapper: string; model?: string; maxTurns?: number; budgetUsd?: number }): string {
  const args = ["-p", "--output-format", "stream-json", "--verbose"];
  if (opts.model) args.push("--model", opts.model);
  if (opts.maxTurns !== undefined) {
    if (!Number.isInteger(opts.maxTurns) || opts.maxTurns < 1) throw new TypeError(`invalid maxTurns: ${opts.maxTurns}`);
    args.push("--max-turns", String(opts.maxTurns));
  }
  if (opts.budgetUsd !== undefined) {
    // A zero, negative or non-finite budget is a caller's mistake, not "no limit": refuse it before anything runs.
    if (!Number.isFinite(opts.budgetUsd) || opts.budgetUsd <= 0) throw new TypeError(`invalid budgetUsd: ${opts.budgetUsd}`);
  }
  return `# shipyard: run Claude Code
mapper=${shellQuote(opts.mapper)}
${fromShipyardHome("mapper")}
if ! command -v claude >/dev/null 2>&1; then
  echo "shipyard: claude (Claude Code) is not on the runner's PATH" >&2
  exit 127
fi
# What is left of the step's, run's and workspace's budgets when the task was sent (set by the server), else
# the step's own budget.
budget="\${SHIPYARD_BUDGET_USD:-${opts.budgetUsd ?? ""}}"
budget_args=()
if [ -n "$budget" ]; then
  if awk -v b="$budget" 'BEGIN { exit !(b <= 0) }'; then
    echo "shipyard: budget_exceeded: no model budget is left for this step" >&2
    exit 1
  fi
  budget_args=(--max-budget-usd "$budget")
fi
${PROMPT_FILE}
set +e
claude ${args.map(shellQuote).join(" ")} "\${budget_args[@]}" < "$prompt_file" | node "$mapper"
statuses=("\${PIPESTATUS[@]}")
set -e
if [ "\${statuses[0]}" -ne 0 ]; then
  echo "shipyard: claude exited with code \${statuses[0]}" >&2
  exit "\${statuses[0]}"
fi
exit "\${statuses[1]}"
`;
}

/** Run the verification commands in order, each echoed as `$ cmd`; stop at the first failure with its exit code. */
export function verifyScript(commands: readonly string[]): string {
  const calls = commands.map((c) => `shipyard_check ${shellQuote(c)}`);
  return `# shipyard: verify
# Each command runs in a shell of its own (so a \`cd\` in one does not move the next) with errexit and pipefail,
# so a failure anywhere in it counts.
shipyard_check() {
  printf '$ %s\\n' "$1"
  local status=0
  bash --noprofile --norc -eo pipefail -c "$1" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "shipyard: verification failed with exit code $status: $1" >&2
    exit "$status"
  fi
}
${calls.length > 0 ? calls.join("\n") : 'echo "no verification commands"'}
`;
}

/**
 * Commit everything (message from env SHIPYARD_COMMIT_MESSAGE) and push HEAD to the job's branch; exit 3 when
 * there is nothing to propose. Appends `commit=<sha>` and `branch=<name>` to $SHIPYARD_OUTPUT.
 */
export function commitAndPushScript(spec: BranchSpec): string {
  assertBranchName(spec.defaultBranch, "default branch");
  assertBranchName(spec.branch);
  return `# shipyard: commit and push
default_branch=${shellQuote(spec.defaultBranch)}
branch=${shellQuote(spec.branch)}
: "\${SHIPYARD_OUTPUT:?shipyard: SHIPYARD_OUTPUT must name the step output file}"
${CEILING}
${REQUIRE_CLONE}
${AUTH}
${STALE_LOCKS}
${COMMIT_STAGED}
base="$(git merge-base HEAD "refs/remotes/origin/$default_branch")"
# Compare trees, not commits: commits that cancel out are no change either.
if git diff --quiet "$base" HEAD; then
  echo "the agent made no changes" >&2
  exit 3
fi
head="$(git rev-parse HEAD)"
remote="$(git ls-remote origin "refs/heads/$branch" | awk -v ref="refs/heads/$branch" '$2 == ref { print $1 }')"
if [ "$remote" = "$head" ]; then
  echo "origin already has $branch at $head"
else
  # The lease names the sha just seen (empty: the branch must not exist), so this replaces only an earlier
  # attempt's push and fails if anything else moved the branch meanwhile.
  git push --quiet --no-verify --force-with-lease="refs/heads/$branch:$remote" origin "HEAD:refs/heads/$branch"
  echo "pushed $head to $branch"
fi
printf 'commit=%s\\nbranch=%s\\n' "$head" "$branch" >> "$SHIPYARD_OUTPUT"
`;
}

/** Delete everything in the workspace (cwd) without following symlinks or crossing into other filesystems. */
export function cleanupScript(): string {
  return `# shipyard: clean up the workspace
here="$(pwd -P)"
if [ "$here" = / ] || [ "$here" = "$(cd "\${HOME:-/}" 2>/dev/null && pwd -P)" ]; then
  echo "shipyard: refusing to empty $here" >&2
  exit 2
fi
# Tools leave read-only directories (Go's module cache, for one); their entries cannot be deleted until the
# owner may write them. Fixed one at a time, before find descends into each.
find . -xdev -type d ! -perm -u=rwx -exec chmod u+rwx {} \\;
find . -xdev -mindepth 1 -delete
echo "workspace emptied"
`;
}

/**
 * Run the built-in agent (`node <entry>`, see src/agents/builtin/run-cli.ts) in the workspace on the prompt,
 * written to a file outside the workspace. The entry prints readable lines, records turns and usage in
 * $SHIPYARD_OUTPUT and exits non-zero, naming the reason, when the agent did not succeed.
 */
export function builtinAgentScript(opts: { entry: string; model: string; maxTurns?: number }): string {
  if (opts.maxTurns !== undefined && (!Number.isInteger(opts.maxTurns) || opts.maxTurns < 1)) throw new TypeError(`invalid maxTurns: ${opts.maxTurns}`);
  return `# shipyard: run the built-in agent
entry=${shellQuote(opts.entry)}
${fromShipyardHome("entry")}
${PROMPT_FILE}
export SHIPYARD_MODEL=${shellQuote(opts.model)}
${opts.maxTurns !== undefined ? `export SHIPYARD_MAX_TURNS=${opts.maxTurns}` : "unset SHIPYARD_MAX_TURNS"}
status=0
node "$entry" || status=$?
exit "$status"
`;
}
