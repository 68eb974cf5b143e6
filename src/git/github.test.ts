import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FAKE_GITHUB_POLICY, startFakeGitHub, type FakeGitHub } from "../../test/helpers/fake-github.ts";
import { createOutboundClient } from "../net/outbound-client.ts";
import { openPullRequest, parseGitHubRemote, pullRequestBody, pullRequestTitle } from "./github.ts";

describe("parseGitHubRemote", () => {
  it.each([
    ["https://github.com/acme/widgets", { owner: "acme", repo: "widgets" }],
    ["https://github.com/acme/widgets.git", { owner: "acme", repo: "widgets" }],
    ["https://github.com/acme/widgets/", { owner: "acme", repo: "widgets" }],
    ["https://x-access-token:t@GitHub.com/acme/my.repo_1.git", { owner: "acme", repo: "my.repo_1" }],
    ["git@github.com:acme/widgets.git", { owner: "acme", repo: "widgets" }],
    ["git@github.com:acme/widgets", { owner: "acme", repo: "widgets" }],
    ["ssh://git@github.com/acme/widgets.git", { owner: "acme", repo: "widgets" }],
    ["https://gitlab.com/acme/widgets.git", null],
    ["https://github.com/acme", null],
    ["https://github.com/acme/widgets/tree/main", null],
    ["https://github.com/acme/..", null],
    ["/srv/git/widgets.git", null],
    ["file:///github.com/acme/widgets.git", null],
    ["not a url", null],
    ["https://github.example.com/acme/widgets.git", null],
  ])("%s", (url, expected) => {
    expect(parseGitHubRemote(url)).toEqual(expected);
  });

  it("accepts hosts from the allow-list, with or without a port", () => {
    expect(parseGitHubRemote("https://ghe.corp/acme/widgets.git", ["ghe.corp"])).toEqual({ owner: "acme", repo: "widgets" });
    expect(parseGitHubRemote("git@ghe.corp:acme/widgets.git", ["GHE.corp"])).toEqual({ owner: "acme", repo: "widgets" });
    expect(parseGitHubRemote("http://127.0.0.1:8123/o/r.git", ["127.0.0.1:8123"])).toEqual({ owner: "o", repo: "r" });
    expect(parseGitHubRemote("http://127.0.0.1:9999/o/r.git", ["127.0.0.1:8123"])).toBeNull();
  });
});

describe("openPullRequest", () => {
  let gh: FakeGitHub;
  beforeEach(async () => {
    gh = await startFakeGitHub({ token: "t0ken" });
  });
  afterEach(() => gh.close());

  const pr = (extra: { token?: string; head?: string } = {}) => ({
    apiUrl: gh.url,
    outbound: createOutboundClient(FAKE_GITHUB_POLICY),
    token: extra.token ?? "t0ken",
    owner: "acme",
    repo: "widgets",
    head: extra.head ?? "shipyard/job-1",
    base: "main",
    title: "Fix the parser",
    body: "body text",
  });
  const open = (extra: { token?: string; head?: string } = {}) => openPullRequest(pr(extra));

  it("creates the pull request once; a second call finds it", async () => {
    const first = await open();
    expect(first).toEqual({ url: "https://github.example/acme/widgets/pull/1", number: 1, created: true });
    const second = await open();
    expect(second).toEqual({ ...first, created: false });
    expect(gh.pulls).toHaveLength(1);
    expect(gh.pulls[0]).toMatchObject({ title: "Fix the parser", body: "body text", head: "shipyard/job-1", base: "main" });
    expect(gh.requests.map((r) => `${r.method} ${r.path.split("?")[0]}`)).toEqual([
      "GET /repos/acme/widgets/pulls",
      "POST /repos/acme/widgets/pulls",
      "GET /repos/acme/widgets/pulls",
    ]);
    expect(new URL(gh.requests[0]!.path, gh.url).searchParams.get("head")).toBe("acme:shipyard/job-1");
    for (const r of gh.requests) expect(r.auth).toMatch(/^(token|Bearer) t0ken$/);
  });

  it("two attempts racing end with one pull request, and both report it", async () => {
    const results = await Promise.all([open(), open(), open()]);
    expect(gh.pulls).toHaveLength(1);
    expect(new Set(results.map((r) => r.url))).toEqual(new Set([gh.pulls[0]!.html_url]));
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it("ignores closed pull requests and other branches", async () => {
    gh.pulls.push({ number: 1, owner: "acme", repo: "widgets", title: "old", body: null, head: "shipyard/job-1", base: "main", state: "closed", html_url: "https://github.example/acme/widgets/pull/1" });
    expect(await open({ head: "other" })).toMatchObject({ number: 2, created: true });
    expect(await open()).toMatchObject({ number: 3, created: true });
  });

  it("fails with GitHub's status on bad credentials, without GitHub's words", async () => {
    const err = await open({ token: "wrong" }).catch((e: Error) => e);
    expect(err).toMatchObject({ status: 401, message: "the GitHub API answered 401 Unauthorized: check the project's credentials" });
    expect(gh.pulls).toHaveLength(0);
  });

  it("never repeats a remote's response body in its error", async () => {
    const err = await openPullRequest({ ...pr(), apiUrl: `${gh.url}/not-an-api` }).catch((e: Error) => e);
    expect(err).toMatchObject({ status: 404, message: "the GitHub API answered 404 Not Found: no such repository, or the token cannot see it" });
    // The fake's 404 body links GitHub's documentation; Octokit's own message would carry it.
    expect(JSON.stringify(err)).not.toContain("docs.github.com");
  });

  it("under the default URL policy refuses the loopback fake before sending it anything", async () => {
    const refused = openPullRequest({ ...pr(), outbound: createOutboundClient({ allowPrivate: false, allowedHttpHosts: ["127.0.0.1"], allowLocalRepos: true }) });
    await expect(refused).rejects.toMatchObject({ code: "url_not_allowed", message: expect.stringMatching(/127\.0\.0\.1 is a loopback address/) });
    expect(gh.requests).toEqual([]);
  });

  it("refuses at connect time a name that resolved to a public address at the check and to loopback after (DNS rebinding)", async () => {
    let lookups = 0;
    const rebinding = async () => [{ address: lookups++ === 0 ? "93.184.216.34" : "127.0.0.1", family: 4 }];
    const outbound = createOutboundClient({ allowPrivate: false, allowedHttpHosts: ["rebind.example"], allowLocalRepos: true }, rebinding);
    const refused = openPullRequest({ ...pr(), apiUrl: `http://rebind.example:${new URL(gh.url).port}`, outbound });
    await expect(refused).rejects.toThrow(/^the GitHub API could not be reached: refused to connect to rebind\.example \(127\.0\.0\.1\): .*loopback/);
    expect(gh.requests).toEqual([]);
  });
});

describe("the fake GitHub", () => {
  it("validates pull request input in GitHub's error shape and answers 404 elsewhere", async () => {
    const gh = await startFakeGitHub();
    try {
      const post = (body: string) => fetch(`${gh.url}/repos/o/r/pulls`, { method: "POST", body });
      const missing = await post(JSON.stringify({ head: "b", base: "main" }));
      expect(missing.status).toBe(422);
      expect(await missing.json()).toMatchObject({ message: "Validation Failed", errors: [{ code: "missing_field", field: "title" }] });
      expect((await post("{nope")).status).toBe(400);
      expect((await post(JSON.stringify({ title: "t", head: "o:b", base: "main" }))).status).toBe(201);
      const dup = await post(JSON.stringify({ title: "t", head: "b", base: "main" }));
      expect(await dup.json()).toMatchObject({ errors: [{ message: "A pull request already exists for o:b." }] });
      const other = await fetch(`${gh.url}/user`);
      expect([other.status, await other.json()]).toEqual([404, expect.objectContaining({ message: "Not Found" })]);
      expect(gh.requests.at(-1)).toEqual({ method: "GET", path: "/user", body: undefined, auth: undefined });
    } finally {
      await gh.close();
    }
  });
});

describe("pullRequestTitle", () => {
  it("uses the first non-blank line, trimmed to 72 characters with an ellipsis", () => {
    expect(pullRequestTitle("\n  Fix   the parser  \nsecond line")).toBe("Fix the parser");
    const long = pullRequestTitle(`${"word ".repeat(30)}\nmore`);
    expect(Array.from(long)).toHaveLength(72);
    expect(long.endsWith("…")).toBe(true);
    expect(Array.from(pullRequestTitle("😀".repeat(100)))).toEqual([...Array(71).fill("😀"), "…"]);
    expect(pullRequestTitle(" \n ")).toBe("Changes by Shipyard");
  });
});

describe("pullRequestBody", () => {
  it("has the summary, the prompt and the verification result in Markdown", () => {
    const body = pullRequestBody({
      prompt: "Make it ```fast```",
      summary: "Rewrote the loop.",
      verification: { commands: ["npm test", "npm run lint"], passed: true, outputTail: "42 passed\n" },
    });
    expect(body).toContain("## Summary\n\nRewrote the loop.\n");
    expect(body).toContain("## Prompt\n\n````text\nMake it ```fast```\n````\n"); // a fence the prompt cannot close
    expect(body).toContain("✅ All checks passed.");
    expect(body).toContain("```sh\n$ npm test\n$ npm run lint\n```");
    expect(body).toContain("<details><summary>Output (last lines)</summary>\n\n```text\n42 passed\n```");
  });

  it("says so when verification failed or was not configured, and stays under GitHub's size limit", () => {
    expect(pullRequestBody({ prompt: "p", verification: { commands: ["x"], passed: false } })).toContain("❌ Verification failed.");
    const none = pullRequestBody({ prompt: "p" });
    expect(none).toContain("No verification commands were configured.");
    expect(none).not.toContain("## Summary");
    const huge = pullRequestBody({ prompt: "p".repeat(100_000), summary: "s".repeat(100_000), verification: { commands: ["x"], passed: true, outputTail: "o".repeat(100_000) } });
    expect(huge.length).toBeLessThan(65_536);
  });
});
