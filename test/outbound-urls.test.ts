// Issue 8, point 7: a project's GitHub API on loopback made the server send the git credential there and echo
// the answer into the job error. This server runs with the default SHIPYARD_ALLOW_PRIVATE_URLS (off), and lets
// plain http go to 127.0.0.1 and localhost, so that what refuses them is the address rule (without it, the
// credential would reach the recording server on loopback that stands where it must never arrive).
import http from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADD_MUL_PATCH, makeFixtureRemote } from "./helpers/git-fixture.ts";
import { jobToEnd, operationEvents, startTestShipyard, type TestShipyard } from "./helpers/shipyard.ts";

const TOKEN = "ghp_mustNeverLeave123";
const BODY = "internal-service-answer-7f3a";

let s: TestShipyard;
let fixture: Awaited<ReturnType<typeof makeFixtureRemote>>;
let recorder: http.Server;
let port: number;
const received: string[] = [];

beforeAll(async () => {
  s = await startTestShipyard({ env: { SHIPYARD_ALLOWED_HTTP_HOSTS: "127.0.0.1,localhost" } });
  fixture = await makeFixtureRemote();
  recorder = http.createServer((req, res) => {
    received.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ message: BODY }));
  });
  await new Promise<void>((resolve) => recorder.listen(0, "127.0.0.1", resolve));
  port = (recorder.address() as AddressInfo).port;
});
afterAll(async () => {
  await s?.stop();
  await new Promise<void>((resolve) => recorder?.close(() => resolve()));
});

async function setProject(id: string, column: "github" | "repo", value: unknown): Promise<void> {
  const db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
  try {
    await db.query(`update projects set ${column} = $2 where id = $1`, [id, column === "github" ? JSON.stringify(value) : value]);
  } finally {
    await db.end();
  }
}

describe("URLs a project gives the server, under the default policy", () => {
  it("POST /projects refuses a GitHub API on loopback, link-local or a name resolving there, and keeps nothing", async () => {
    const cases: [string, RegExp][] = [
      [`http://127.0.0.1:${port}`, /127\.0\.0\.1 is a loopback address; .*SHIPYARD_ALLOW_PRIVATE_URLS=true/],
      [`https://127.0.0.1:${port}/api/v3`, /127\.0\.0\.1 is a loopback address/],
      [`http://localhost:${port}`, /localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
      ["http://ghe.example/api/v3", /plain http is allowed only to hosts .*SHIPYARD_ALLOWED_HTTP_HOSTS \(ghe\.example is not one\)/],
      [`https://[::ffff:127.0.0.1]:${port}`, /loopback/],
      ["https://169.254.169.254/latest/meta-data", /link-local/],
      ["https://metadata.google.internal/", /metadata service/],
    ];
    for (const [apiUrl, why] of cases) {
      const r = await s.api("POST", "/projects", { name: "gh", repo: fixture.remote, credentials: TOKEN, github: { owner: "acme", repo: "math", apiUrl } });
      expect([r.status, r.body.code], apiUrl).toEqual([422, "url_not_allowed"]);
      expect(r.body.detail).toMatch(why);
    }
    expect((await s.api("GET", "/projects")).body.projects).toEqual([]);
    expect((await s.api("GET", "/secrets")).body.secrets).toEqual([]);
    expect(received).toEqual([]);
  });

  it("POST /projects refuses repository locations other than https, ssh and git@ (and local ones while allowed)", async () => {
    const cases: [string, RegExp][] = [
      ["ext::sh -c touch% /tmp/pwned", /git remote helpers \(ext::\)/],
      ["fd::7", /git remote helpers \(fd::\)/],
      ["http://git.example/acme/math.git", /plain http is allowed only to hosts .*SHIPYARD_ALLOWED_HTTP_HOSTS/],
      [`https://x-access-token:${TOKEN}@github.com/acme/math.git`, /carries credentials/],
      ["--upload-pack=touch /tmp/pwned", /starts with '-'/],
      ["git://github.com/acme/math.git", /scheme git is not accepted/],
      ["some/relative/path", /expected a URL, user@host:path or an absolute path/],
    ];
    for (const [repo, why] of cases) {
      const r = await s.api("POST", "/projects", { name: "bad-repo", repo, credentials: TOKEN });
      expect([r.status, r.body.code], repo).toEqual([422, "repo_not_allowed"]);
      expect(r.body.detail).toMatch(why);
      expect(r.body.detail).not.toContain(TOKEN);
    }
    expect((await s.api("GET", "/projects")).body.projects).toEqual([]);
    expect((await s.api("GET", "/secrets")).body.secrets).toEqual([]);
    // Local paths are on by default (a single-node `shipyard up`).
    expect((await s.api("POST", "/projects", { name: "local", repo: `file://${fixture.remote}` })).status).toBe(201);
  });

  it("a job whose project's GitHub API has since come to point at loopback sends nothing there and fails saying why", async () => {
    const p = await s.api("POST", "/projects", { name: "gh-later", repo: fixture.remote, verify: ["bash test.sh"], credentials: TOKEN, github: { owner: "acme", repo: "math" } });
    expect(p.status).toBe(201);
    // What DNS rebinding or a policy made stricter since the project was accepted amounts to.
    await setProject(p.body.id, "github", { owner: "acme", repo: "math", apiUrl: `http://localhost:${port}` });
    const created = await s.api("POST", "/jobs", { projectId: p.body.id, prompt: "Add mul()", executor: { type: "patch", diff: ADD_MUL_PATCH } });
    const job = await jobToEnd(s, created.body.id);
    expect(received).toEqual([]);
    expect(job).toMatchObject({ status: "failed", stage: "pull_request", prUrl: null });
    expect(job.error).toMatch(/^opening the pull request failed: github\.apiUrl http:\/\/localhost:\d+ is not allowed: localhost resolves to .*loopback/);
    const everything = JSON.stringify([job, await operationEvents(s, job.id)]);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(BODY);
  });

  it("a job whose project's repository has since become a remote helper fails before anything runs it", async () => {
    const p = await s.api("POST", "/projects", { name: "repo-later", repo: fixture.remote });
    await setProject(p.body.id, "repo", "ext::sh -c touch% /tmp/shipyard-pwned");
    const created = await s.api("POST", "/jobs", { projectId: p.body.id, prompt: "x", executor: { type: "command", command: "true" } });
    const job = await jobToEnd(s, created.body.id);
    expect(job).toMatchObject({ status: "failed", stage: "prepare" });
    expect(job.error).toMatch(/^the project's repository is not allowed: git remote helpers \(ext::\)/);
  });
});
