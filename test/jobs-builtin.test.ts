// The builtin executor end to end: the agent stage runs src/agents/builtin/run-cli.mjs on the runner against a
// `replay:` model whose cassette lives in a temp dir (the server's SHIPYARD_CASSETTES). The cassette is built the
// documented way: run a job, take the fingerprint from the CassetteMissError in the job's error, add the next
// hand-written answer under it, and run a new job, until the agent gets through.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CassetteFile, CassetteResponse } from "../src/agents/llm/index.ts";
import { makeFixtureRemote } from "./helpers/git-fixture.ts";
import { jobToEnd as jobToEndOf, operationEvents, startTestShipyard, type TestShipyard } from "./helpers/shipyard.ts";

const BUGGY = "add() { echo $(( $1 - $2 )); }\n";
const FIXED = "add() { echo $(( $1 + $2 )); }\n";

let s: TestShipyard;
let fixture: Awaited<ReturnType<typeof makeFixtureRemote>>;
let projectId: string;
let cassettes: string;

beforeAll(async () => {
  cassettes = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-builtin-cassettes-"));
  s = await startTestShipyard({ env: { SHIPYARD_CASSETTES: cassettes } });
  fixture = await makeFixtureRemote({ mathSh: BUGGY });
  const created = await s.api("POST", "/projects", { name: "math", repo: fixture.remote, defaultBranch: "main", verify: ["bash test.sh"] });
  expect(created.status).toBe(201);
  projectId = created.body.id;
});
afterAll(async () => {
  await s?.stop();
  await fs.rm(cassettes, { recursive: true, force: true });
});

const jobToEnd = (id: string, timeoutMs?: number) => jobToEndOf(s, id, timeoutMs);
const events = (id: string) => operationEvents(s, id);
const agentLog = (ev: any[]) => ev.filter((e) => e.type === "log" && e.payload.stepId === "agent");

/** A hand-written model answer: optional text and tool calls (`[name, args]`). */
function answer(text: string | null, ...calls: [string, Record<string, unknown>][]): CassetteResponse {
  const content: unknown[] = [];
  if (text) content.push({ type: "text", text });
  calls.forEach(([toolName, args], i) => content.push({ type: "tool-call", toolCallId: `call_${toolName}_${i}`, toolName, input: JSON.stringify(args) }));
  return { content, finishReason: calls.length ? "tool-calls" : "stop", usage: { inputTokens: 100, outputTokens: 10 } };
}

const runJob = async (prompt: string, model: string, maxTurns?: number) => {
  const created = await s.api("POST", "/jobs", { projectId, prompt, executor: { type: "builtin", ...(model ? { model } : {}), ...(maxTurns ? { maxTurns } : {}) } });
  expect(created.status).toBe(201);
  return jobToEnd(created.body.id);
};

describe("builtin jobs end to end", () => {
  it("fails the job on a missing cassette, naming the fingerprint and the file", async () => {
    const job = await runJob("Fix add()", "replay:nothing-here");
    expect(job.status).toBe("failed");
    expect(job.stage).toBe("agent");
    expect(job.error).toContain("the agent failed");
    expect(job.error).toMatch(/fingerprint [0-9a-f]{64}/);
    expect(job.error).toContain(path.join(cassettes, "nothing-here.json"));
    expect(() => fixture.git("rev-parse", "--verify", `refs/heads/shipyard/job-${job.id}`)).toThrow();
  });

  it("reads, edits, runs the tests and finishes: the job lands the fix", async () => {
    const prompt = "tests/add.sh fails: fix add() in math.sh so that `bash test.sh` passes.";
    const script = [
      answer("Let me look at math.sh.", ["read_file", { path: "math.sh" }]),
      answer(null, ["edit_file", { path: "math.sh", old: "$1 - $2", new: "$1 + $2" }]),
      answer(null, ["run_command", { command: "bash test.sh" }]),
      answer("Fixed add(): it subtracted instead of adding. All tests pass."),
    ];
    const file = path.join(cassettes, "fix.json");
    const cassette: CassetteFile = { version: 1, model: "anthropic:claude-sonnet-4-5", entries: {} };
    let job: any;
    for (let i = 0; ; i++) {
      await fs.writeFile(file, JSON.stringify(cassette, null, 2));
      job = await runJob(prompt, "replay:fix", 10);
      const fingerprint = /fingerprint ([0-9a-f]{64})/.exec(job.error ?? "")?.[1];
      if (!fingerprint) break;
      expect(job.status).toBe("failed");
      expect(job.error).toContain(file);
      const next = script[i];
      if (!next) throw new Error(`the agent asked for answer ${i + 1} but the script has ${script.length}`);
      cassette.entries[fingerprint] = { response: next };
    }
    expect(Object.keys(cassette.entries)).toHaveLength(script.length);
    expect(job).toMatchObject({ status: "succeeded", branch: `shipyard/job-${job.id}`, error: null });
    expect(fixture.git("show", `${job.branch}:math.sh`)).toBe(FIXED.trim());

    const ev = await events(job.id);
    const agent = ev.filter((e) => e.payload.stepId === "agent" && ["tool_call", "tool_result", "agent_message"].includes(e.type));
    expect(agent.map((e) => [e.type, e.payload.tool ?? e.payload.text])).toEqual([
      ["agent_message", "Let me look at math.sh."],
      ["tool_call", "read_file"],
      ["tool_result", "read_file"],
      ["tool_call", "edit_file"],
      ["tool_result", "edit_file"],
      ["tool_call", "run_command"],
      ["tool_result", "run_command"],
      ["agent_message", "Fixed add(): it subtracted instead of adding. All tests pass."],
    ]);
    expect(agent[3].payload).toMatchObject({ callId: "call_edit_file_0", args: { path: "math.sh", old: "$1 - $2", new: "$1 + $2" }, line: '● edit_file {"path":"math.sh","old":"$1 - $2","new":"$1 + $2"}' });
    expect(agent.filter((e) => e.type === "tool_result").map((e) => e.payload.ok)).toEqual([true, true, true]);
    expect(agent[2].payload.summary).toContain("add()");
    // The agent's markers are events, not log lines.
    expect(agentLog(ev).filter((e) => String(e.payload.line).startsWith("::shipyard-event::"))).toEqual([]);
    // Its model calls went through the server: each one is in the ledger, against the job, its project and the task.
    const usage = ev.filter((e) => e.type === "usage");
    expect(usage.map((e) => [e.payload.stepId, e.payload.inputTokens, e.payload.outputTokens])).toEqual(Array(4).fill(["agent", 100, 10]));
    const ledger = await s.api("GET", "/usage?groupBy=operation");
    expect(ledger.body.groups.find((g: any) => g.key === job.id)).toMatchObject({ calls: 4, inputTokens: 400, outputTokens: 40 });
    const byProject = await s.api("GET", "/usage?groupBy=project");
    expect(byProject.body.groups.find((g: any) => g.key === projectId)?.calls).toBeGreaterThanOrEqual(4);
    const verify = ev.find((e) => e.type === "stage" && e.payload.stage === "verify" && e.payload.status === "succeeded");
    expect(verify).toBeTruthy();
    const agentDone = ev.find((e) => e.type === "stage" && e.payload.stage === "agent" && e.payload.status === "succeeded");
    expect(agentDone.payload).toMatchObject({ inputTokens: 400, outputTokens: 40 });
  }, 240_000);

  it("fails the job when the agent stops at max turns", async () => {
    // The cassette from the previous test answers the first turn only once maxTurns is 1.
    const job = await runJob("tests/add.sh fails: fix add() in math.sh so that `bash test.sh` passes.", "replay:fix", 1);
    expect(job.status).toBe("failed");
    expect(job.error).toContain("✗ agent stopped: max_turns");
  });

  it("takes the model from the project's default, else fails naming how to set one", async () => {
    const none = await runJob("Fix add()", "");
    expect(none.status).toBe("failed");
    expect(none.stage).toBe("agent");
    expect(none.error).toContain("the job's builtin agent names no model and there is no default");
    const withDefault = await s.api("POST", "/projects", { name: "math-default", repo: fixture.remote, verify: ["bash test.sh"], defaultModel: "replay:project-default" });
    expect(withDefault.body.defaultModel).toBe("replay:project-default");
    const created = await s.api("POST", "/jobs", { projectId: withDefault.body.id, prompt: "Fix add()", executor: { type: "builtin" } });
    const job = await jobToEnd(created.body.id);
    // The project's model was used: its (missing) cassette is the one named.
    expect(job.error).toContain(path.join(cassettes, "project-default.json"));
    expect((await s.api("POST", "/projects", { name: "bad-default", repo: fixture.remote, defaultModel: "nope" })).status).toBe(400);
  });

  it("rejects bad builtin options", async () => {
    const bad = async (executor: unknown) => (await s.api("POST", "/jobs", { projectId, prompt: "x", executor })).status;
    expect(await bad({ type: "builtin", model: "no-provider" })).toBe(400);
    expect(await bad({ type: "builtin", model: "replay:x", maxTurns: 0 })).toBe(400);
    expect(await bad({ type: "builtin", model: "replay:x", extra: true })).toBe(400);
  });
});
