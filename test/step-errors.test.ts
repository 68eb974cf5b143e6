// A failed step says why: its error (run_steps.error, the `step` event, GET /runs/{id}) and the run's error
// quote the cause it printed on stderr, or the agent's own reason; a job's failed stage does too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.ts";
import { makeFixtureRemote } from "./helpers/git-fixture.ts";
import { jobToEnd, operationEvents, runToEnd, startTestShipyard, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;

beforeAll(async () => {
  // A model endpoint nobody listens on: every call the agent makes through the server fails to connect.
  process.env.DEADFAKE_BASE_URL = `http://127.0.0.1:${await freePort()}/v1`;
  s = await startTestShipyard();
});
afterAll(async () => {
  await s?.stop();
  delete process.env.DEADFAKE_BASE_URL;
});

/** The step's error as each place reports it: GET /runs/{id}, its `failed` step event, and the run's error. */
async function errorsOf(run: any, stepId: string) {
  const events = await operationEvents(s, run.id);
  const failed = events.find((e) => e.type === "step" && e.payload.stepId === stepId && e.payload.status === "failed");
  return { step: run.steps.find((x: any) => x.id === stepId).error as string, event: failed?.payload.error as string, run: run.error as string };
}

describe("a failed step's error carries its cause", () => {
  it("a shell step that prints to stderr and exits 1: the last stderr lines are in the step's and the run's error", async () => {
    const run = await runToEnd(
      s,
      `
name: unreachable
steps:
  - id: fetch
    run: |
      echo "resolving api.example.invalid"
      echo "curl: (6) Could not resolve host" >&2
      echo "getaddrinfo ENOTFOUND api.example.invalid" >&2
      exit 1
`,
    );
    expect(run.status).toBe("failed");
    const errors = await errorsOf(run, "fetch");
    for (const error of [errors.step, errors.event, errors.run]) {
      expect(error).toContain("exited with code 1");
      expect(error).toContain("getaddrinfo ENOTFOUND api.example.invalid");
      expect(error).toContain("Could not resolve host");
      expect(error).not.toContain("resolving api.example.invalid"); // stdout is not the cause
    }
  });

  it("quotes a bounded tail however much the step printed", async () => {
    const run = await runToEnd(s, `
name: noisy
steps:
  - id: noisy
    run: |
      pad=$(printf 'x%.0s' $(seq 1 50))
      for i in $(seq 1 2000); do echo "noise $i $pad" >&2; done
      echo "the real cause" >&2
      exit 3
`);
    const { step } = await errorsOf(run, "noisy");
    expect(step).toContain("exited with code 3");
    expect(step).toContain("the real cause");
    expect(step).not.toContain("noise 1 ");
    expect(step.length).toBeLessThan(1500);
  });

  it("an agent step whose model call fails: the agent's reason is the step's and the run's error", async () => {
    const run = await runToEnd(
      s,
      `
name: agent-offline
steps:
  - id: think
    agent:
      model: openai-compatible:deadfake:gpt-4.1
      prompt: "Say hello"
`,
      {},
      60_000,
    );
    expect(run.status).toBe("failed");
    const errors = await errorsOf(run, "think");
    for (const error of [errors.step, errors.event, errors.run]) {
      expect(error).toContain("exited with code 1");
      expect(error).toContain("agent failed");
      expect(error).toMatch(/ECONNREFUSED|Cannot connect/);
    }
  });

  it("a job whose agent fails: the failed stage's event and the job's error name the agent's reason", async () => {
    const fixture = await makeFixtureRemote();
    const project = await s.api("POST", "/projects", { name: "errors", repo: fixture.remote, defaultBranch: "main", verify: ["bash test.sh"] });
    expect(project.status).toBe(201);
    const created = await s.api("POST", "/jobs", { projectId: project.body.id, prompt: "Say hello", executor: { type: "builtin", model: "openai-compatible:deadfake:gpt-4.1" } });
    expect(created.status).toBe(201);
    const job = await jobToEnd(s, created.body.id);
    expect(job.status).toBe("failed");
    expect(job.stage).toBe("agent");
    // The first line is what the stage event and one-line listings show.
    const firstLine = (job.error as string).split("\n")[0]!;
    expect(firstLine).toContain("agent failed");
    expect(firstLine).toMatch(/ECONNREFUSED|Cannot connect/);
    const events = await operationEvents(s, job.id);
    const stageFailed = events.find((e) => e.type === "stage" && e.payload.stage === "agent" && e.payload.status === "failed");
    expect(stageFailed.payload.error).toMatch(/ECONNREFUSED|Cannot connect/);
  });
});
