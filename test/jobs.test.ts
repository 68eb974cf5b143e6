import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_GITHUB_ENV, startFakeGitHub } from "./helpers/fake-github.ts";
import { ADD_MUL_PATCH, BROKEN_PATCH, makeFixtureRemote } from "./helpers/git-fixture.ts";
import { goneWithin, pidsWith, uniqueSleep } from "./helpers/liveness.ts";
import { jobToEnd as jobToEndOf, operationEvents, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
let fixture: Awaited<ReturnType<typeof makeFixtureRemote>>;
let projectId: string;

beforeAll(async () => {
  s = await startTestShipyard({ env: FAKE_GITHUB_ENV });
  fixture = await makeFixtureRemote();
  const created = await s.api("POST", "/projects", { name: "math", repo: fixture.remote, defaultBranch: "main", verify: ["bash test.sh"] });
  expect(created.status).toBe(201);
  projectId = created.body.id;
});
afterAll(async () => {
  await s?.stop();
});

const jobToEnd = (id: string, timeoutMs?: number) => jobToEndOf(s, id, timeoutMs);
const events = (id: string) => operationEvents(s, id);

describe("coding-agent jobs end to end", () => {
  it("a patch job adds a function and its test, verification runs the tests, the branch lands in the remote", async () => {
    const created = await s.api("POST", "/jobs", { projectId, prompt: "Add mul()\n\nWith a test.", executor: { type: "patch", diff: ADD_MUL_PATCH } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "queued", queue: "backlog", attempts: 0 });
    const job = await jobToEnd(created.body.id);
    expect(job).toMatchObject({ status: "succeeded", stage: "cleanup", branch: `shipyard/job-${job.id}`, attempts: 1, error: null, prUrl: null });
    expect(fixture.git("rev-parse", `refs/heads/${job.branch}`)).toBe(job.commit);
    expect(fixture.git("show", `${job.branch}:math.sh`)).toContain("mul()");
    expect(fixture.git("show", `${job.branch}:tests/mul.sh`)).toContain("mul 3 4");
    expect(Number(fixture.git("rev-list", "--count", `main..${job.branch}`))).toBe(1);

    const ev = await events(job.id);
    const stages = ev.filter((e) => e.type === "stage" && e.payload.status === "started").map((e) => e.payload.stage);
    expect(stages).toEqual(["credentials", "prepare", "agent", "verify", "push", "pull_request", "cleanup"]);
    const verifyLines = ev.filter((e) => e.type === "log" && e.payload.stepId === "verify").map((e) => e.payload.line);
    expect(verifyLines).toEqual(expect.arrayContaining(["add ok", "mul ok", "all tests passed"]));
    expect(ev.at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded", branch: job.branch, commit: job.commit } });
  });

  it("a failing verification fails the job with the verification output", async () => {
    const created = await s.api("POST", "/jobs", { projectId, prompt: "Break it", executor: { type: "patch", diff: BROKEN_PATCH } });
    const job = await jobToEnd(created.body.id);
    expect(job.status).toBe("failed");
    expect(job.error).toContain("verification failed");
    expect(job.error).toContain("expected 4, got 5");
    expect(() => fixture.git("rev-parse", "--verify", `refs/heads/shipyard/job-${job.id}`)).toThrow();
  });

  it("opens a pull request on GitHub once, with the token kept secret", async () => {
    const gh = await startFakeGitHub();
    try {
      const p = await s.api("POST", "/projects", {
        name: "math-gh",
        repo: fixture.remote,
        verify: ["bash test.sh"],
        credentials: "ghp_supersecret123",
        github: { owner: "acme", repo: "math", apiUrl: gh.url },
      });
      expect(p.status).toBe(201);
      expect(JSON.stringify(p.body)).not.toContain("ghp_supersecret123");
      expect(p.body.hasCredentials).toBe(true);
      const created = await s.api("POST", "/jobs", { projectId: p.body.id, prompt: "Add mul() for the calculator", executor: { type: "patch", diff: ADD_MUL_PATCH } });
      const job = await jobToEnd(created.body.id);
      expect(job.status).toBe("succeeded");
      expect(job.prUrl).toMatch(/^https:\/\/github\.example\/acme\/math\/pull\/\d+$/);
      const posts = gh.requests.filter((r) => r.method === "POST");
      expect(posts).toHaveLength(1);
      expect(posts[0]!.body).toMatchObject({ title: "Add mul() for the calculator", head: job.branch, base: "main" });
      expect(String(posts[0]!.auth)).toContain("ghp_supersecret123");
      expect(JSON.stringify(await events(job.id))).not.toContain("ghp_supersecret123");
      const stored = await s.api("GET", `/projects/${p.body.id}`);
      expect(JSON.stringify(stored.body)).not.toContain("ghp_supersecret123");
    } finally {
      await gh.close();
    }
  });

  it("a GitHub API that answers an error fails the job with its status, never with its response body", async () => {
    const gh = await startFakeGitHub();
    try {
      // The fake answers 404 for paths it does not serve, with a body that links GitHub's documentation.
      const p = await s.api("POST", "/projects", {
        name: "math-gh-404",
        repo: fixture.remote,
        verify: ["bash test.sh"],
        credentials: "ghp_supersecret404",
        github: { owner: "acme", repo: "math", apiUrl: `${gh.url}/no-api-here` },
      });
      expect(p.status).toBe(201);
      const created = await s.api("POST", "/jobs", { projectId: p.body.id, prompt: "Add mul()", executor: { type: "patch", diff: ADD_MUL_PATCH } });
      const job = await jobToEnd(created.body.id);
      expect(job).toMatchObject({ status: "failed", stage: "pull_request" });
      expect(job.error).toBe("opening the pull request failed: the GitHub API answered 404 Not Found: no such repository, or the token cannot see it");
      expect(gh.requests.length).toBeGreaterThan(0);
      const everything = JSON.stringify([job, await events(job.id)]);
      expect(everything).not.toContain("docs.github.com");
      expect(everything).not.toContain("ghp_supersecret404");
    } finally {
      await gh.close();
    }
  });

  it("serves rework before backlog, by position, one job at a time on the runner; moves renumber without gaps", async () => {
    for (const q of ["backlog", "rework"]) expect((await s.api("POST", `/queues/${q}/pause`)).status).toBe(200);
    const add = async (name: string, queue: string) =>
      (await s.api("POST", "/jobs", { projectId, prompt: name, queue, executor: { type: "command", command: `echo ${name} > agent-${name}.txt` } })).body.id as string;
    const a = await add("a", "backlog");
    const b = await add("b", "backlog");
    const c = await add("c", "backlog");
    const r = await add("r", "rework");
    const moved = await s.api("PATCH", `/jobs/${c}`, { position: 1 });
    expect(moved.body).toMatchObject({ queue: "backlog", position: 1 });
    const view = (await s.api("GET", "/queues")).body;
    const ids = (q: string) => view.queues.find((x: any) => x.queue === q).jobs.map((j: any) => [j.id, j.position]);
    expect(ids("backlog")).toEqual([[c, 1], [a, 2], [b, 3]]);
    expect(ids("rework")).toEqual([[r, 1]]);
    expect(view.queues.every((q: any) => q.paused)).toBe(true);

    for (const q of ["rework", "backlog"]) await s.api("POST", `/queues/${q}/resume`);
    const done = [];
    for (const id of [r, c, a, b]) done.push(await jobToEnd(id));
    expect(done.map((j) => j.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    const started = await Promise.all([r, c, a, b].map(async (id) => Date.parse((await events(id)).find((e) => e.type === "status" && e.payload.status === "running").time)));
    const ended = await Promise.all([r, c, a, b].map(async (id) => Date.parse((await events(id)).find((e) => e.type === "complete").time)));
    expect([...started].sort((x, y) => x - y)).toEqual(started);
    for (let i = 1; i < started.length; i++) expect(started[i]).toBeGreaterThanOrEqual(ended[i - 1]!);
  });

  it("cancels a running job: the agent process is killed, the workspace cleaned, the job cancelled", async () => {
    const marker = uniqueSleep();
    const created = await s.api("POST", "/jobs", { projectId, prompt: "Hang", executor: { type: "command", command: `sleep ${marker} & wait` } });
    const [pid] = await waitFor(async () => (await pidsWith(`sleep\0${marker}`)).length === 1 && pidsWith(`sleep\0${marker}`), 30_000, "the agent to start");
    const cancel = await s.api("POST", `/jobs/${created.body.id}/cancel`);
    expect(cancel.status).toBe(202);
    expect(await goneWithin(pid!, 5_000)).toBe(true);
    const job = await jobToEnd(created.body.id);
    expect(job.status).toBe("cancelled");
    const ev = await events(job.id);
    expect(ev.some((e) => e.type === "stage" && e.payload.stage === "cleanup" && e.payload.status === "succeeded")).toBe(true);
    expect((await s.api("POST", `/jobs/${job.id}/cancel`)).status).toBe(409);
  });

  it("rejects bad input with problem+json", async () => {
    expect((await s.api("POST", "/jobs", { projectId: "prj_nope", prompt: "x", executor: { type: "patch", diff: "x" } })).body.code).toBe("unknown_project");
    expect((await s.api("POST", "/jobs", { projectId, prompt: "x", executor: { type: "shell" } })).status).toBe(400);
    expect((await s.api("POST", "/projects", { name: "math", repo: "/x" })).body.code).toBe("project_exists");
    const relative = await s.api("POST", "/projects", { name: "rel", repo: "some/relative/path" });
    expect(relative.status).toBe(422);
    expect(relative.body.detail).toMatch(/expected a URL, user@host:path or an absolute path/);
    const option = await s.api("POST", "/projects", { name: "opt", repo: "/x", defaultBranch: "--upload-pack=evil" });
    expect(option.status).toBe(400);
    expect(option.body.detail).toMatch(/invalid default branch name/);
    expect((await s.api("GET", "/jobs/job_missing")).status).toBe(404);
  });
});
