// The whole git side of a job against a GitHub-like HTTP remote that demands the token: clone, patch, commit,
// push and pull request, each stage run twice as a crash would.
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FAKE_GITHUB_POLICY, startFakeGitHub, type FakeGitHub } from "../../test/helpers/fake-github.ts";
import { createOutboundClient } from "../net/outbound-client.ts";
import { openPullRequest, parseGitHubRemote } from "./github.ts";
import { commitAndPushScript, patchScript, prepareScript } from "./scripts.ts";
import { addFileDiff, git, outputs, remoteRef, runScriptAsync, sandbox, tmpIsEmpty, type Sandbox } from "./test-repos.ts";

const TOKEN = "ghs_httpTOKEN123";
const BRANCH = "shipyard/job-7";
let box: Sandbox;
let gh: FakeGitHub;
let repoUrl: string;

beforeEach(async () => {
  box = sandbox(path.join("github", "acme", "widgets.git"));
  gh = await startFakeGitHub({ token: TOKEN, gitRoot: path.join(box.root, "github") });
  repoUrl = `${gh.url}/acme/widgets.git`;
});
afterEach(async () => {
  await gh.close();
  rmSync(box.root, { recursive: true, force: true });
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("a job's git stages over HTTP with a token", () => {
  it("clones, pushes one commit and opens one pull request, however often each stage runs", async () => {
    const env = { SHIPYARD_GIT_TOKEN: TOKEN };
    const prepare = prepareScript({ repo: repoUrl, defaultBranch: "main", branch: BRANCH });
    const push = commitAndPushScript({ branch: BRANCH, defaultBranch: "main" });
    const results = [await runScriptAsync(box, prepare, env), await runScriptAsync(box, prepare, env)];
    results.push(await runScriptAsync(box, patchScript(), { SHIPYARD_PATCH: addFileDiff("hello.txt", "hello") }));
    results.push(await runScriptAsync(box, patchScript(), { SHIPYARD_PATCH: addFileDiff("hello.txt", "hello") }));
    results.push(await runScriptAsync(box, push, { ...env, SHIPYARD_COMMIT_MESSAGE: "Say hello" }));
    results.push(await runScriptAsync(box, push, { ...env, SHIPYARD_COMMIT_MESSAGE: "Say hello" }));
    expect(results.map((r) => [r.status, r.stderr])).toEqual(results.map(() => [0, ""]));

    const sha = git(box.ws, "rev-parse", "HEAD");
    expect(remoteRef(box, `refs/heads/${BRANCH}`)).toBe(sha);
    expect(Number(git(box.remote, "rev-list", "--count", `main..refs/heads/${BRANCH}`))).toBe(1);
    expect(outputs(box)).toEqual([`commit=${sha}`, `branch=${BRANCH}`, `commit=${sha}`, `branch=${BRANCH}`]);
    // The token went over the wire through the askpass helper, and nowhere else.
    expect(gh.requests.some((r) => r.auth === basic("x-access-token", TOKEN))).toBe(true);
    expect(readFileSync(path.join(box.ws, ".git", "config"), "utf8")).not.toContain(TOKEN);
    for (const r of results) expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(tmpIsEmpty(box)).toBe(true);

    const where = parseGitHubRemote(repoUrl, [new URL(gh.url).host]);
    expect(where).toEqual({ owner: "acme", repo: "widgets" });
    const pr = { apiUrl: gh.url, outbound: createOutboundClient(FAKE_GITHUB_POLICY), token: TOKEN, ...where!, head: BRANCH, base: "main", title: "Say hello", body: "b" };
    const first = await openPullRequest(pr);
    const second = await openPullRequest(pr);
    expect(first).toMatchObject({ number: 1, created: true });
    expect(second).toEqual({ ...first, created: false });
    expect(gh.pulls).toHaveLength(1);
  });

  it("fails without leaking the token when the token is wrong", async () => {
    const r = await runScriptAsync(box, prepareScript({ repo: repoUrl, defaultBranch: "main", branch: BRANCH }), { SHIPYARD_GIT_TOKEN: "wrong-token" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Authentication failed|401/);
    expect(r.stdout + r.stderr).not.toContain("wrong-token");
    expect(gh.requests.some((q) => q.auth === basic("x-access-token", "wrong-token"))).toBe(true);
    expect(tmpIsEmpty(box)).toBe(true);
  });

  it("without a token, git gets no credentials and does not prompt", async () => {
    const r = await runScriptAsync(box, prepareScript({ repo: repoUrl, defaultBranch: "main", branch: BRANCH }));
    expect(r.status).not.toBe(0);
    expect(gh.requests.every((q) => q.auth === undefined)).toBe(true);
  });
});
