import { spawn, type ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_GITHUB_ENV, startFakeGitHub } from "./helpers/fake-github.ts";
import { ADD_MUL_PATCH, makeFixtureRemote } from "./helpers/git-fixture.ts";
import { BIN, killGroup, reservePorts, startUp, type UpProcess } from "./helpers/process.ts";
import { startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

const FAST_LOSS = { SHIPYARD_RUNNER_LOST_AFTER_MS: "1000" };
let s: TestShipyard;
const runners: ChildProcess[] = [];

beforeAll(async () => {
  // A killed runner never comes back: its stage is lost after a second, not the default 10 s.
  s = await startTestShipyard({ localRunner: false, env: FAST_LOSS });
});
afterAll(async () => {
  for (const r of runners) r.kill("SIGKILL");
  await s?.stop();
});

/** A runner as a real child process with a work dir of its own; resolves once the server lists it online. */
async function startRunner(name: string): Promise<ChildProcess> {
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), `shipyard-${name}-`));
  const child = spawn(process.execPath, [BIN, "runner", "--server", s.url, "--name", name, "--slots", "2", "--work-dir", workDir], {
    env: { ...process.env, SHIPYARD_TOKEN: s.adminToken, SHIPYARD_LOG_LEVEL: "warn" },
    stdio: "ignore",
  });
  runners.push(child);
  await waitFor(async () => (await s.api("GET", "/runners")).body.runners.some((r: any) => r.name === name && r.status === "online"), 30_000, `${name} online`);
  return child;
}

describe("jobs and crashing runners", () => {
  it("kill -9 of the runner mid-job: the job returns to the front of its queue with its attempt kept, then completes on another runner", async () => {
    const fixture = await makeFixtureRemote();
    const project = (await s.api("POST", "/projects", { name: "crashy", repo: fixture.remote, verify: ["bash test.sh"] })).body;
    const r1 = await startRunner("r1");
    const created = await s.api("POST", "/jobs", {
      projectId: project.id,
      prompt: "Slow change",
      executor: { type: "command", command: 'echo "agent started"; sleep 4; echo change > stamp.txt' },
    });
    const id = created.body.id as string;
    const events = async () => (await s.api("GET", `/operations/${id}/events?limit=5000`)).body.events as any[];
    await waitFor(async () => (await events()).some((e) => e.type === "log" && e.payload.line === "agent started"), 30_000, "the agent to start");
    const first = (await s.api("GET", `/jobs/${id}`)).body;
    expect(first).toMatchObject({ status: "running", attempts: 1, stage: "agent" });

    r1.kill("SIGKILL");
    await waitFor(async () => (await s.api("GET", `/jobs/${id}`)).body.status === "queued", 40_000, "the job to be re-queued");
    const requeued = (await s.api("GET", `/jobs/${id}`)).body;
    expect(requeued).toMatchObject({ status: "queued", attempts: 1, position: 1, runnerId: null });
    const why = (await events()).find((e) => e.type === "status" && e.payload.status === "queued" && e.payload.front);
    expect(why.payload.reason).toMatch(/runner lost during agent/);

    await startRunner("r2");
    const done = await waitFor(async () => {
      const j = (await s.api("GET", `/jobs/${id}`)).body;
      return ["succeeded", "failed", "cancelled"].includes(j.status) ? j : null;
    }, 60_000, "the job to finish");
    expect(done).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(Number(fixture.git("rev-list", "--count", `main..${done.branch}`))).toBe(1);
    expect(fixture.git("show", `${done.branch}:stamp.txt`)).toBe("change");
  });
});

describe("jobs and a crashing server", () => {
  it("kill -9 of the whole server while the pull request is being opened: the job resumes with no second branch, commit or PR", async () => {
    let hold = true;
    let created!: () => void;
    const prCreated = new Promise<void>((resolve) => (created = resolve));
    // The first creation is recorded by "GitHub" but its answer never reaches Shipyard: the crash window.
    const gh = await startFakeGitHub({
      afterCreate: async () => {
        created();
        if (hold) await new Promise(() => undefined);
      },
    });
    const fixture = await makeFixtureRemote();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-jobcrash-"));
    const ports = await reservePorts();
    const first = await startUp(dataDir, ports, { ...FAKE_GITHUB_ENV, ...FAST_LOSS });
    try {
      const call = (p: UpProcess, method: string, route: string, body?: unknown) =>
        fetch(`${p.url}/api/v1${route}`, {
          method,
          headers: { authorization: `Bearer ${p.token}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        }).then((r) => r.json() as Promise<any>);
      const project = await call(first, "POST", "/projects", {
        name: "gh",
        repo: fixture.remote,
        verify: ["bash test.sh"],
        credentials: "ghp_crashtoken",
        github: { owner: "acme", repo: "math", apiUrl: gh.url },
      });
      const job = await call(first, "POST", "/jobs", { projectId: project.id, prompt: "Add mul()", executor: { type: "patch", diff: ADD_MUL_PATCH } });
      await prCreated;
      await killGroup(first);
      hold = false;

      const second = await startUp(dataDir, ports, { ...FAKE_GITHUB_ENV, ...FAST_LOSS });
      try {
        const done = await waitFor(async () => {
          const j = await call(second, "GET", `/jobs/${job.id}`);
          return ["succeeded", "failed", "cancelled"].includes(j.status) ? j : null;
        }, 60_000, "the job to finish after the restart");
        expect(done).toMatchObject({ status: "succeeded", attempts: 1, prUrl: gh.pulls[0]!.html_url });
        expect(gh.pulls).toHaveLength(1);
        expect(gh.requests.filter((r) => r.method === "POST")).toHaveLength(1);
        expect(fixture.git("for-each-ref", "--format=%(refname)", "refs/heads/shipyard/").split("\n")).toEqual([`refs/heads/${done.branch}`]);
        expect(Number(fixture.git("rev-list", "--count", `main..${done.branch}`))).toBe(1);
      } finally {
        await killGroup(second);
      }
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) await killGroup(first);
      await gh.close();
    }
  });
});
