// Bash scripts for the git stages of a build (src/builds/): a build works on the project's default branch itself
// and lands as one commit on it. Like the job's scripts (./scripts.ts) each may be re-run from the top after a
// crash, so each checks what is already done before acting.
import { AUTH, CEILING, COMMIT_STAGED, prepareScript, REQUIRE_CLONE, STALE_LOCKS } from "./scripts.ts";
import { assertBranchName, shellQuote } from "./shell.ts";

/** Clone (or refresh) the project at its default branch; `base=<sha>` (where the build starts) goes to $SHIPYARD_OUTPUT. */
export function buildPrepareScript(spec: { repo: string; defaultBranch: string }): string {
  return `${prepareScript({ ...spec, branch: spec.defaultBranch })}
: "\${SHIPYARD_OUTPUT:?shipyard: SHIPYARD_OUTPUT must name the step output file}"
printf 'base=%s\\n' "$(git rev-parse HEAD)" >> "$SHIPYARD_OUTPUT"
`;
}

/** Write $SHIPYARD_SPEC (a blueprint's spec) to `file` in the clone; a re-run writes the same bytes. */
export function specFileScript(file: string): string {
  if (!/^docs\/specs\/[a-z0-9-]+\.md$/.test(file)) throw new Error(`not a spec path: ${file}`);
  return `# shipyard: the blueprint's spec
: "\${SHIPYARD_SPEC:?shipyard: SHIPYARD_SPEC must hold the spec}"
${REQUIRE_CLONE}
mkdir -p docs/specs
printf '%s' "$SHIPYARD_SPEC" > ${shellQuote(file)}
echo "wrote ${file}"
`;
}

/** Count the files that differ from $SHIPYARD_BASE (work tree and index, untracked included, .gitignore respected), leaving out `exclude`: `changed=<n>`. */
export function changedFilesScript(exclude?: string): string {
  return `# shipyard: what the agent changed
: "\${SHIPYARD_BASE:?shipyard: SHIPYARD_BASE must name the commit the build started from}"
: "\${SHIPYARD_OUTPUT:?shipyard: SHIPYARD_OUTPUT must name the step output file}"
${CEILING}
${REQUIRE_CLONE}
${STALE_LOCKS}
git add --all
changed="$(git diff --cached --name-only "$SHIPYARD_BASE"${exclude ? ` -- . ${shellQuote(`:(exclude)${exclude}`)}` : ""} | wc -l | tr -d ' ')"
git diff --cached --stat "$SHIPYARD_BASE" | tail -n 20
printf 'changed=%s\\n' "$changed" >> "$SHIPYARD_OUTPUT"
`;
}

/**
 * Commit everything (message from env SHIPYARD_COMMIT_MESSAGE) on the default branch and push it, but only over
 * $SHIPYARD_BASE: if anything else moved the branch meanwhile the push is refused. Exit 3 when there is nothing
 * to commit. A re-run after the push finds the commit on the remote and pushes nothing. `commit=<sha>` goes to
 * $SHIPYARD_OUTPUT.
 */
export function buildCommitScript(spec: { defaultBranch: string }): string {
  assertBranchName(spec.defaultBranch, "default branch");
  return `# shipyard: commit and push the build
branch=${shellQuote(spec.defaultBranch)}
: "\${SHIPYARD_BASE:?shipyard: SHIPYARD_BASE must name the commit the build started from}"
: "\${SHIPYARD_OUTPUT:?shipyard: SHIPYARD_OUTPUT must name the step output file}"
${CEILING}
${REQUIRE_CLONE}
${AUTH}
${STALE_LOCKS}
${COMMIT_STAGED}
head="$(git rev-parse HEAD)"
if [ "$head" = "$SHIPYARD_BASE" ]; then
  echo "the build changed nothing" >&2
  exit 3
fi
remote="$(git ls-remote origin "refs/heads/$branch" | awk -v ref="refs/heads/$branch" '$2 == ref { print $1 }')"
if [ "$remote" = "$head" ]; then
  echo "origin already has $branch at $head"
else
  git push --quiet --no-verify --force-with-lease="refs/heads/$branch:$SHIPYARD_BASE" origin "HEAD:refs/heads/$branch"
  echo "pushed $head to $branch"
fi
printf 'commit=%s\\n' "$head" >> "$SHIPYARD_OUTPUT"
`;
}
