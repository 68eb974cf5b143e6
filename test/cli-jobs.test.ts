import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.ts";
import { ADD_MUL_PATCH, makeFixtureRemote } from "./helpers/git-fixture.ts";
import { startTestShipyard, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
let env: Record<string, string>;
let fixture: Awaited<ReturnType<typeof makeFixtureRemote>>;
let patchFile: string;

beforeAll(async () => {
  s = await startTestShipyard();
  fixture = await makeFixtureRemote();
  env = { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), SHIPYARD_URL: s.url, SHIPYARD_TOKEN: s.adminToken, NO_COLOR: "1", GIT_TOKEN_FOR_TEST: "tok_cli_secret" };
  patchFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-clipatch-")), "mul.diff");
  await fs.writeFile(patchFile, ADD_MUL_PATCH);
});
afterAll(async () => {
  await s?.stop();
});

const cli = (...args: string[]) => runCli(args, { env });

describe("CLI: projects, jobs and queues", () => {
  it("adds and lists a project without ever printing its credentials", async () => {
    const added = await cli("projects", "add", "calc", "--repo", fixture.remote, "--verify", "bash test.sh", "--credentials-env", "GIT_TOKEN_FOR_TEST", "--json");
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ name: "calc", verify: ["bash test.sh"], hasCredentials: true });
    const list = await cli("projects", "list");
    expect(list.stdout).toContain("calc");
    expect(list.stdout + added.stdout).not.toContain("tok_cli_secret");
    const missing = await cli("projects", "add", "x", "--repo", "/r", "--credentials-env", "NOT_SET_ANYWHERE");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("NOT_SET_ANYWHERE is empty or not set");
  });

  it("queues a patch job by project name, follows it to success and shows branch and commit", async () => {
    const run = await cli("jobs", "add", "--project", "calc", "--prompt", "Add mul()", "--patch", patchFile, "-f");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/verify/);
    expect(run.stdout).toContain("mul ok");
    expect(run.stdout).toMatch(/✓ job succeeded/);
    const id = /job (job_\w+) queued/.exec(run.stdout)![1]!;
    const shown = JSON.parse((await cli("jobs", "show", id, "--json")).stdout);
    expect(shown).toMatchObject({ id, status: "succeeded", branch: `shipyard/job-${id}`, attempts: 1 });
    expect(fixture.git("rev-parse", `refs/heads/${shown.branch}`)).toBe(shown.commit);
    expect((await cli("jobs", "list")).stdout).toContain(id);
    // `show` takes any operation id: a job's, printed as `jobs show` prints it; --json is the job's own view.
    const anyShow = await cli("show", id);
    expect(anyShow.code).toBe(0);
    expect(anyShow.stdout).toMatch(new RegExp(`^${id} {2}succeeded {2}backlog {2}attempts 1$`, "m"));
    expect(anyShow.stdout).toContain(`branch: shipyard/job-${id}`);
    expect(JSON.parse((await cli("show", id, "--json")).stdout)).toEqual(shown);
  });

  it("pauses a queue, moves jobs, shows the queues, cancels a waiting job and resumes", async () => {
    expect((await cli("queue", "pause", "backlog")).code).toBe(0);
    const ids: string[] = [];
    for (const n of ["one", "two"]) {
      const r = await cli("jobs", "add", "--project", "calc", "--prompt", n, "--command", "echo x > f.txt", "--json");
      ids.push(JSON.parse(r.stdout).id);
    }
    const claude = JSON.parse((await cli("jobs", "add", "--project", "calc", "--prompt", "p", "--claude-code", "--max-turns", "7", "--json")).stdout);
    expect(claude.executor).toEqual({ type: "claude-code" });
    expect((await s.api("GET", `/jobs/${claude.id}`)).body.status).toBe("queued");
    expect((await cli("jobs", "cancel", claude.id)).code).toBe(0);
    const moved = await cli("jobs", "move", ids[1]!, "--position", "1");
    expect(moved.stdout).toContain(`${ids[1]} is now backlog #1`);
    const view = JSON.parse((await cli("queue", "show", "--json")).stdout);
    const backlog = view.queues.find((q: any) => q.queue === "backlog");
    expect(backlog.paused).toBe(true);
    expect(backlog.jobs.map((j: any) => [j.id, j.position])).toEqual([[ids[1], 1], [ids[0], 2]]);
    expect((await cli("queue")).stdout).toMatch(/backlog \(paused\)/);
    expect((await cli("jobs", "cancel", ids[0]!)).stdout).toContain(`cancelled ${ids[0]}`);
    const bad = await cli("jobs", "move", ids[0]!, "--position", "1");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("only queued jobs can be moved");
    expect((await cli("queue", "resume", "backlog")).stdout).toContain("backlog resumed");
    const usage = await cli("jobs", "add", "--project", "calc", "--prompt", "p");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("exactly one executor");
  });
});
