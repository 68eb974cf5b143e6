import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commitAndPushScript, foundWorkspaceGone, patchScript, prepareScript, WORKSPACE_GONE_EXIT, WORKSPACE_GONE_OUTPUT } from "./scripts.ts";
import { addFileDiff, advanceRemote, git, outputs, remoteRef, runScript, sandbox, tmpIsEmpty, type Sandbox } from "./test-repos.ts";

const BRANCH = "shipyard/job-1";
let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => rmSync(box.root, { recursive: true, force: true }));

const prepare = (env: Record<string, string> = {}) =>
  runScript(box, prepareScript({ repo: box.remote, defaultBranch: "main", branch: BRANCH }), env);
const patch = (diff: string) => runScript(box, patchScript(), { SHIPYARD_PATCH: diff });
const push = (env: Record<string, string> = {}) =>
  runScript(box, commitAndPushScript({ branch: BRANCH, defaultBranch: "main" }), { SHIPYARD_COMMIT_MESSAGE: "Add hello\n\nbody", ...env });
const commitsAhead = () => Number(git(box.remote, "rev-list", "--count", `main..refs/heads/${BRANCH}`));

describe("prepareScript", () => {
  it("clones into the empty workspace and checks out the job branch from the default branch", () => {
    const r = prepare();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(git(box.ws, "symbolic-ref", "--short", "HEAD")).toBe(BRANCH);
    expect(git(box.ws, "rev-parse", "HEAD")).toBe(remoteRef(box, "main"));
    expect(readFileSync(path.join(box.ws, "README.md"), "utf8")).toBe("# demo\n");
    expect(git(box.ws, "config", "--local", "user.name")).toBe("Shipyard");
    expect(git(box.ws, "config", "--local", "user.email")).toBe("shipyard@localhost");
  });

  it("on a second run fetches and resets the workspace to a clean branch at the new default-branch head", () => {
    expect(prepare().status).toBe(0);
    writeFileSync(path.join(box.ws, "README.md"), "changed\n");
    writeFileSync(path.join(box.ws, "junk.txt"), "junk\n");
    mkdirSync(path.join(box.ws, "node_modules"));
    writeFileSync(path.join(box.ws, ".gitignore.local"), "x");
    git(box.ws, "add", "junk.txt");
    git(box.ws, "commit", "--quiet", "-m", "local work");
    writeFileSync(path.join(box.ws, ".git", "index.lock"), ""); // a crash mid-command leaves this
    const newHead = advanceRemote(box, "NEWS.md", "news\n");

    const r = prepare();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(git(box.ws, "symbolic-ref", "--short", "HEAD")).toBe(BRANCH);
    expect(git(box.ws, "rev-parse", "HEAD")).toBe(newHead);
    expect(git(box.ws, "status", "--porcelain", "--ignored")).toBe("");
    expect(existsSync(path.join(box.ws, "NEWS.md"))).toBe(true);
  });

  it("starts over when a crash left a broken clone", () => {
    mkdirSync(path.join(box.ws, ".git"));
    writeFileSync(path.join(box.ws, "partial"), "");
    const r = prepare();
    expect(r.status).toBe(0);
    expect(git(box.ws, "rev-parse", "HEAD")).toBe(remoteRef(box, "main"));
    expect(existsSync(path.join(box.ws, "partial"))).toBe(false);
  });

  it("fails clearly when the default branch does not exist", () => {
    const r = runScript(box, prepareScript({ repo: box.remote, defaultBranch: "trunk", branch: BRANCH }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("origin/trunk");
  });

  it("rejects values git could read as options or that are not branch names, before writing any script", () => {
    expect(() => prepareScript({ repo: "-uecho", defaultBranch: "main", branch: "b" })).toThrow(/invalid repository/);
    expect(() => prepareScript({ repo: "relative/path", defaultBranch: "main", branch: "b" })).toThrow(/invalid repository/);
    for (const branch of ["-f", "a..b", "a b", "x.lock", "a//b", "", "a~1", "HEAD"]) {
      expect(() => prepareScript({ repo: box.remote, defaultBranch: "main", branch })).toThrow(/invalid branch name/);
    }
    expect(() => commitAndPushScript({ defaultBranch: "--all", branch: "b" })).toThrow(/invalid default branch name/);
  });
});

describe("patchScript", () => {
  it("applies a diff that adds a file, and a second run changes nothing", () => {
    expect(prepare().status).toBe(0);
    const first = patch(addFileDiff("hello.txt", "hello"));
    expect(first).toMatchObject({ status: 0, stderr: "" });
    expect(readFileSync(path.join(box.ws, "hello.txt"), "utf8")).toBe("hello\n");
    const second = patch(addFileDiff("hello.txt", "hello"));
    expect(second).toMatchObject({ status: 0, stdout: "patch already applied\n" });
    expect(readFileSync(path.join(box.ws, "hello.txt"), "utf8")).toBe("hello\n");
    expect(git(box.ws, "status", "--porcelain")).toBe("?? hello.txt");
  });

  it("applies a diff made by git that modifies a file (trailing newline included)", () => {
    expect(prepare().status).toBe(0);
    writeFileSync(path.join(box.ws, "README.md"), "# demo\n\nmore\n");
    const diff = `${git(box.ws, "diff")}\n`;
    git(box.ws, "checkout", "README.md");
    expect(patch(diff).status).toBe(0);
    expect(patch(diff).stdout).toBe("patch already applied\n");
    expect(readFileSync(path.join(box.ws, "README.md"), "utf8")).toBe("# demo\n\nmore\n");
  });

  it("fails on a diff that does not apply, and on a missing patch", () => {
    expect(prepare().status).toBe(0);
    const bad = ["--- a/README.md", "+++ b/README.md", "@@ -1 +1 @@", "-not there", "+x", ""].join("\n");
    expect(patch(bad).status).not.toBe(0);
    expect(runScript(box, patchScript())).toMatchObject({ status: 2, stderr: "shipyard: SHIPYARD_PATCH is empty\n" });
  });
});

describe("commitAndPushScript", () => {
  it("commits and pushes once; a second run creates no commit and pushes nothing", () => {
    expect(prepare().status).toBe(0);
    expect(patch(addFileDiff("hello.txt", "hello")).status).toBe(0);
    const first = push();
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    const sha = git(box.ws, "rev-parse", "HEAD");
    expect(remoteRef(box, `refs/heads/${BRANCH}`)).toBe(sha);
    expect(commitsAhead()).toBe(1);
    expect(git(box.remote, "log", "-1", "--format=%B", sha)).toBe("Add hello\n\nbody");
    expect(git(box.remote, "log", "-1", "--format=%an <%ae>", sha)).toBe("Shipyard <shipyard@localhost>");
    expect(outputs(box)).toEqual([`commit=${sha}`, `branch=${BRANCH}`]);

    const second = push();
    expect(second).toMatchObject({ status: 0, stderr: "", stdout: `origin already has ${BRANCH} at ${sha}\n` });
    expect(git(box.ws, "rev-parse", "HEAD")).toBe(sha);
    expect(remoteRef(box, `refs/heads/${BRANCH}`)).toBe(sha);
    expect(commitsAhead()).toBe(1);
    expect(outputs(box).slice(2)).toEqual([`commit=${sha}`, `branch=${BRANCH}`]);
  });

  it("after a crash between commit and push, the re-run pushes the same commit without making another", () => {
    expect(prepare().status).toBe(0);
    expect(patch(addFileDiff("hello.txt", "hello")).status).toBe(0);
    git(box.ws, "remote", "set-url", "origin", path.join(box.root, "unreachable.git")); // the push cannot happen
    expect(push().status).not.toBe(0);
    const sha = git(box.ws, "rev-parse", "HEAD");
    expect(remoteRef(box, `refs/heads/${BRANCH}`)).toBeNull();

    git(box.ws, "remote", "set-url", "origin", box.remote);
    expect(push().status).toBe(0);
    expect(git(box.ws, "rev-parse", "HEAD")).toBe(sha);
    expect(remoteRef(box, `refs/heads/${BRANCH}`)).toBe(sha);
    expect(commitsAhead()).toBe(1);
  });

  it("replaces what an earlier attempt pushed to the branch", () => {
    expect(prepare().status).toBe(0);
    expect(patch(addFileDiff("first.txt", "first")).status).toBe(0);
    expect(push().status).toBe(0);
    expect(prepare().status).toBe(0); // the job starts again from the default branch
    expect(patch(addFileDiff("second.txt", "second")).status).toBe(0);
    expect(push().status).toBe(0);
    const sha = git(box.ws, "rev-parse", "HEAD");
    expect(remoteRef(box, `refs/heads/${BRANCH}`)).toBe(sha);
    expect(commitsAhead()).toBe(1);
    expect(git(box.remote, "ls-tree", "--name-only", sha).split("\n")).toEqual(["README.md", "second.txt"]);
  });

  it("exits 3 when the agent changed nothing, and pushes no branch", () => {
    expect(prepare().status).toBe(0);
    const r = push();
    expect(r).toMatchObject({ status: 3, stderr: "the agent made no changes\n" });
    expect(remoteRef(box, `refs/heads/${BRANCH}`)).toBeNull();
    expect(outputs(box)).toEqual([]);
  });

  it("refuses to run outside a clone instead of finding a repository above the workspace", () => {
    git(box.root, "init", "--quiet"); // the directory holding the workspace is itself a repository
    writeFileSync(path.join(box.ws, "stray.txt"), "not a clone\n"); // not empty: not a workspace the runner lost
    const r = push();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("is not a git clone");
    expect(() => git(box.root, "rev-parse", "HEAD")).toThrow(); // nothing was committed there
  });

  it("says the workspace is gone (a code of its own: the runner's loss) when it is empty, as after a runner restarted with another work dir", () => {
    rmSync(box.ws, { recursive: true, force: true });
    mkdirSync(box.ws);
    const output = path.join(box.root, "gone-output");
    const r = push({ SHIPYARD_OUTPUT: output });
    expect(r.status).toBe(WORKSPACE_GONE_EXIT);
    expect(r.stderr).toContain("no longer has the clone");
    // Its output tells it from an agent that exits with the same code (src/jobs/stage-task.ts).
    expect(readFileSync(output, "utf8")).toBe(`${WORKSPACE_GONE_OUTPUT}=1\n`);
    expect(foundWorkspaceGone({ status: "failed", exitCode: r.status, outputs: { [WORKSPACE_GONE_OUTPUT]: "1" } })).toBe(true);
    expect(foundWorkspaceGone({ status: "failed", exitCode: WORKSPACE_GONE_EXIT, outputs: {} })).toBe(false);
  });
});

describe("git credentials", () => {
  const TOKEN = "ghs_s3cr3tTOKENvalue";

  it("with SHIPYARD_GIT_TOKEN set, the token appears in no script, config, output or leftover file", () => {
    const scripts = [prepareScript({ repo: box.remote, defaultBranch: "main", branch: BRANCH }), commitAndPushScript({ branch: BRANCH, defaultBranch: "main" })];
    const results = [prepare({ SHIPYARD_GIT_TOKEN: TOKEN })];
    writeFileSync(path.join(box.ws, "new.txt"), "new\n");
    results.push(push({ SHIPYARD_GIT_TOKEN: TOKEN }));
    expect(results.map((r) => r.status)).toEqual([0, 0]);
    expect(remoteRef(box, `refs/heads/${BRANCH}`)).toBe(git(box.ws, "rev-parse", "HEAD"));
    const seen = [...scripts, ...results.flatMap((r) => [r.stdout, r.stderr]), readFileSync(path.join(box.ws, ".git", "config"), "utf8")];
    for (const text of seen) expect(text).not.toContain(TOKEN);
    expect(tmpIsEmpty(box)).toBe(true);
    expect(existsSync(path.join(box.home, ".git-credentials"))).toBe(false);
  });
});
