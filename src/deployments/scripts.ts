// Bash scripts for a deployment's runner stages, sandboxed like a build's git phases: prepare (clone, detect),
// commit (generate mode) and execute (the tool). Each may be re-run from the top after a crash, so each checks
// what is already done before acting. The generated files arrive as env SHIPYARD_FILE_<n> (their paths, checked
// here, are the only interpolated values besides branch names, all quoted).
import { AUTH, CEILING, fromShipyardHome, prepareScript, REQUIRE_CLONE, STALE_LOCKS } from "../git/scripts.ts";
import { assertBranchName, shellQuote } from "../git/shell.ts";
import type { GeneratedFile, GeneratorName } from "./generators/index.ts";
import type { DeploymentTarget } from "./schemas.ts";

/** The runner-side detection entry (src/deployments/detect-cli.mjs), relative to SHIPYARD_HOME. */
export const DETECT_ENTRY = "src/deployments/detect-cli.mjs";

/** Throw unless `p` is a relative POSIX path inside the repository that is not git's own. */
export function assertFilePath(p: string): void {
  const parts = p.split("/");
  // eslint-disable-next-line no-control-regex
  const bad = p === "" || p.startsWith("/") || /[\x00-\x1f\x7f\\]/.test(p) || parts.some((s) => s === "" || s === "." || s === ".." || s === ".git");
  if (bad) throw new TypeError(`invalid generated file path ${JSON.stringify(p)}`);
}

/** The env that carries the files to a stage: SHIPYARD_FILE_<n> per file, in order. */
export function fileEnv(files: readonly GeneratedFile[]): Record<string, string> {
  return Object.fromEntries(files.map((f, i) => [`SHIPYARD_FILE_${i}`, f.content]));
}

/** Write every file from its SHIPYARD_FILE_<n> into the clone (cwd), its directories made. */
function writeFiles(files: readonly GeneratedFile[]): string {
  return files
    .map((f, i) => {
      assertFilePath(f.path);
      const p = shellQuote(f.path);
      return `mkdir -p "$(dirname ${p})"\nprintf '%s' "$SHIPYARD_FILE_${i}" > ${p}`;
    })
    .join("\n");
}

/** Clone (or refresh) the project at its default branch, then detect the app (named `name` when nothing there names it): `base=<sha>` and `detected=<json>` go to $SHIPYARD_OUTPUT. */
export function deployPrepareScript(spec: { repo: string; defaultBranch: string; name: string }): string {
  return `${prepareScript({ ...spec, branch: spec.defaultBranch })}
: "\${SHIPYARD_OUTPUT:?shipyard: SHIPYARD_OUTPUT must name the step output file}"
printf 'base=%s\\n' "$(git rev-parse HEAD)" >> "$SHIPYARD_OUTPUT"
entry=${shellQuote(DETECT_ENTRY)}
${fromShipyardHome("entry")}
printf 'detected=%s\\n' "$(node "$entry" . ${shellQuote(spec.name)})" >> "$SHIPYARD_OUTPUT"
`;
}

/**
 * Write the files on `branch` (the default branch when `direct`, else the deployment branch, continued where it
 * is on the remote) and commit them with SHIPYARD_COMMIT_MESSAGE, whose trailer names the deployment, unless
 * nothing changed; push unless the remote has it. A re-run after the push finds the commit there by its trailer
 * and makes none. `commit=<sha>` (empty: no commit of this deployment), `branch` and `ahead=1` when the branch
 * differs from the default branch (a pull request is wanted) go to $SHIPYARD_OUTPUT.
 */
export function deployCommitScript(spec: { defaultBranch: string; branch: string; deploymentId: string; files: readonly GeneratedFile[] }): string {
  assertBranchName(spec.defaultBranch, "default branch");
  assertBranchName(spec.branch);
  return `# shipyard: commit the deployment files
default_branch=${shellQuote(spec.defaultBranch)}
branch=${shellQuote(spec.branch)}
trailer=${shellQuote(`Shipyard-Deployment: ${spec.deploymentId}`)}
: "\${SHIPYARD_OUTPUT:?shipyard: SHIPYARD_OUTPUT must name the step output file}"
: "\${SHIPYARD_COMMIT_MESSAGE:?shipyard: SHIPYARD_COMMIT_MESSAGE must be set}"
${CEILING}
${REQUIRE_CLONE}
${AUTH}
${STALE_LOCKS}
git fetch --quiet --prune origin
start="refs/remotes/origin/$default_branch"
if [ "$branch" != "$default_branch" ] && git rev-parse --verify --quiet "refs/remotes/origin/$branch" >/dev/null; then
  start="refs/remotes/origin/$branch"
fi
start_sha="$(git rev-parse "$start")"
git checkout --quiet --force --no-track -B shipyard-deploy "$start"
git reset --quiet --hard
git clean -ffdxq
${writeFiles(spec.files)}
git add --all
commit=""
if ! git diff --cached --quiet; then
  printf '%s\\n\\n%s\\n' "$SHIPYARD_COMMIT_MESSAGE" "$trailer" | git -c core.hooksPath=/dev/null commit --quiet --no-verify --file=-
  commit="$(git rev-parse HEAD)"
  if [ "$branch" = "$default_branch" ]; then lease="$start_sha"; else lease="$(git ls-remote origin "refs/heads/$branch" | awk '{ print $1 }')"; fi
  echo "pushing $commit to $branch"
  git push --quiet --no-verify --force-with-lease="refs/heads/$branch:$lease" origin "HEAD:refs/heads/$branch"
  echo "pushed $commit to $branch"
else
  # Unchanged: this deployment's own commit when an earlier try pushed it, else none.
  commit="$(git log -1 --format=%H --fixed-strings --grep="$trailer" "$start" -- 2>/dev/null || true)"
  echo "the files are unchanged on $branch"
fi
ahead=0
if ! git diff --quiet "refs/remotes/origin/$default_branch" HEAD; then ahead=1; fi
printf 'commit=%s\\nbranch=%s\\nahead=%s\\n' "$commit" "$branch" "$ahead" >> "$SHIPYARD_OUTPUT"
`;
}

/** The directory of the first file whose name is `name` (or of the first file), for tools that take a directory. */
function dirOf(files: readonly GeneratedFile[], name?: string): string {
  const file = files.find((f) => name === undefined || f.path.split("/").at(-1) === name) ?? files[0];
  const parts = (file?.path ?? ".").split("/");
  return parts.length > 1 ? parts.slice(0, -1).join("/") : ".";
}

/** The tool's invocation for a generator's files, as bash lines run in the clone. */
export function toolCommands(generator: GeneratorName, files: readonly GeneratedFile[], target: DeploymentTarget, release: string): string {
  const q = shellQuote;
  switch (generator) {
    case "docker-compose": {
      const compose = files.find((f) => /(^|\/)(docker-)?compose\.ya?ml$/.test(f.path))?.path ?? files[0]?.path ?? "compose.yaml";
      const host = target.type === "docker" && target.hostUrl ? `export DOCKER_HOST=${q(target.hostUrl)}\n` : "";
      return `${host}docker compose -f ${q(compose)} -p ${q(release)} up -d`;
    }
    case "helm": {
      const ns = target.type === "kubernetes" ? target.namespace : "default";
      return `helm upgrade --install ${q(release)} ${q(dirOf(files, "Chart.yaml"))} --namespace ${q(ns)} --create-namespace --wait`;
    }
    case "kubernetes": {
      const ns = target.type === "kubernetes" ? target.namespace : "default";
      return `kubectl apply --namespace ${q(ns)} -f ${q(dirOf(files))}`;
    }
    case "terraform": {
      const dir = q(`-chdir=${dirOf(files, "main.tf")}`);
      const ws = target.type === "terraform" && target.workspace ? `terraform ${dir} workspace select -or-create ${q(target.workspace)}\n` : "";
      return `terraform ${dir} init -input=false -no-color\n${ws}terraform ${dir} apply -auto-approve -input=false -no-color`;
    }
  }
}

/**
 * Write the files into the clone and run the generator's tool on them. A kubeconfig arrives as env
 * SHIPYARD_KUBECONFIG (a secret) and is written outside the workspace, removed at the end.
 */
export function deployExecuteScript(spec: { generator: GeneratorName; files: readonly GeneratedFile[]; target: DeploymentTarget; release: string }): string {
  return `# shipyard: execute the deployment
${CEILING}
${REQUIRE_CLONE}
if [ -n "\${SHIPYARD_KUBECONFIG:-}" ]; then
  kubeconfig="$(mktemp "\${TMPDIR:-/tmp}/shipyard-kubeconfig.XXXXXX")"
  trap 'rm -f "$kubeconfig"' EXIT
  chmod 600 "$kubeconfig"
  printf '%s\\n' "$SHIPYARD_KUBECONFIG" > "$kubeconfig"
  unset SHIPYARD_KUBECONFIG
  export KUBECONFIG="$kubeconfig"
fi
${writeFiles(spec.files)}
${toolCommands(spec.generator, spec.files, spec.target, spec.release)}
`;
}
