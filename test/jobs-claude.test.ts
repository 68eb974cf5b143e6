// The claude-code executor end to end: a stub `claude` first on the runner's PATH records its arguments and
// stdin, edits the workspace and prints a recorded stream-json transcript, which the agent stage maps to agent
// events (messages, tool calls and results) and a few log lines.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeFixtureRemote } from "./helpers/git-fixture.ts";
import { jobToEnd as jobToEndOf, operationEvents, startTestShipyard, type TestShipyard } from "./helpers/shipyard.ts";

const FIXTURE = path.join(import.meta.dirname, "fixtures", "claude-stream.jsonl");

let s: TestShipyard;
let fixture: Awaited<ReturnType<typeof makeFixtureRemote>>;
let projectId: string;
let stubDir: string;
const originalPath = process.env.PATH;

// The prompt picks the behaviour: "FAIL" prints an error result (exit 0), "CRASH" exits 3 mid-stream. It runs
// sandboxed (its own directory is read-only there), so it reports what it saw on stderr, which the job logs.
const STUB = `#!/usr/bin/env bash
set -euo pipefail
printf 'stub args: %s\\n' "$*" >&2
prompt="$(cat)"
printf 'stub prompt: %s\\n' "$(printf '%s' "$prompt" | base64 -w0)" >&2
printf 'stub branch: %s\\n' "$(git rev-parse --abbrev-ref HEAD)" >&2
if [[ "$prompt" == *FAIL* ]]; then
  echo '{"type":"system","subtype":"init","model":"claude-sonnet-4-5","tools":[]}'
  echo '{"type":"result","subtype":"success","is_error":true,"result":"Credit balance is too low","num_turns":1,"total_cost_usd":0}'
  exit 0
fi
if [[ "$prompt" == *CRASH* ]]; then
  echo '{"type":"system","subtype":"init","model":"claude-sonnet-4-5","tools":[]}'
  echo "claude: something broke" >&2
  exit 3
fi
echo 'mul() { echo $(( $1 * $2 )); }' >> math.sh
printf '%s\\n' 'source ./math.sh' '[ "$(mul 3 4)" = 12 ] || { echo "mul is wrong"; exit 1; }' 'echo "mul ok"' > tests/mul.sh
cat "$(dirname "$0")/claude-stream.jsonl"
`;

beforeAll(async () => {
  stubDir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-claude-stub-"));
  await fs.writeFile(path.join(stubDir, "claude"), STUB, { mode: 0o755 });
  await fs.copyFile(FIXTURE, path.join(stubDir, "claude-stream.jsonl")); // beside it: the sandbox shows the PATH, not the repo
  await fs.chmod(stubDir, 0o755); // the sandboxed steps' user must reach it on the PATH
  // The local runner inherits this process's PATH.
  process.env.PATH = `${stubDir}${path.delimiter}${originalPath}`;
  s = await startTestShipyard();
  fixture = await makeFixtureRemote();
  const created = await s.api("POST", "/projects", { name: "math", repo: fixture.remote, defaultBranch: "main", verify: ["bash test.sh"] });
  expect(created.status).toBe(201);
  projectId = created.body.id;
});
afterAll(async () => {
  await s?.stop();
  process.env.PATH = originalPath;
});

const jobToEnd = (id: string, timeoutMs?: number) => jobToEndOf(s, id, timeoutMs);
const events = (id: string) => operationEvents(s, id);
const agentLog = (ev: any[]) => ev.filter((e) => e.type === "log" && e.payload.stepId === "agent");

describe("claude-code jobs end to end", () => {
  it("runs claude -p in the workspace, maps its stream to agent events, and lands the branch", async () => {
    const prompt = "Add mul()\n\nWith a test, and don't 'break' $HOME.";
    const created = await s.api("POST", "/jobs", { projectId, prompt, executor: { type: "claude-code", model: "sonnet", maxTurns: 5 } });
    expect(created.status).toBe(201);
    const job = await jobToEnd(created.body.id);
    expect(job).toMatchObject({ status: "succeeded", branch: `shipyard/job-${job.id}`, error: null });
    expect(fixture.git("show", `${job.branch}:math.sh`)).toContain("mul()");
    expect(fixture.git("show", `${job.branch}:tests/mul.sh`)).toContain("mul 3 4");

    const ev = await events(job.id);
    const reported = (what: string) => agentLog(ev).map((e) => e.payload.line as string).filter((l) => l.startsWith(`stub ${what}: `)).map((l) => l.slice(`stub ${what}: `.length));
    expect(reported("args")).toEqual(["-p --output-format stream-json --verbose --model sonnet --max-turns 5"]);
    expect(reported("prompt").map((b) => Buffer.from(b, "base64").toString("utf8"))).toEqual([prompt]);
    expect(reported("branch")).toEqual([job.branch]);

    const lines = agentLog(ev).map((e) => e.payload.line).filter((l: string) => !l.startsWith("stub "));
    expect(lines).toEqual(
      expect.arrayContaining([
        "· claude session started (claude-sonnet-4-5, 4 tools)",
        "✓ result: Added mul() with a test. (3 turns, $0.01, 1200 in / 300 out tokens, 5000 cached)",
      ]),
    );
    // Messages and tool calls arrive as events of their own, not as log lines (raw JSON or markers).
    expect(lines.some((l: string) => l.startsWith("{") || l.startsWith("::shipyard-event::") || l.includes("tool_use"))).toBe(false);
    const agentEvents = ev.filter((e) => ["tool_call", "tool_result", "agent_message"].includes(e.type) && e.payload.stepId === "agent");
    expect(agentEvents.map((e) => [e.type, e.payload.tool ?? null])).toEqual([
      ["agent_message", null],
      ["tool_call", "Read"],
      ["tool_result", "Read"],
      ["tool_call", "Edit"],
      ["tool_result", "Edit"],
      ["tool_call", "Write"],
      ["tool_result", "Write"],
      ["tool_call", "Bash"],
      ["tool_result", "Bash"],
      ["agent_message", null],
    ]);
    const attempt = agentLog(ev)[0].payload.attempt;
    expect(agentEvents.every((e) => e.payload.attempt === attempt)).toBe(true);
    expect(agentEvents[1].payload).toMatchObject({ callId: "toolu_00", tool: "Read", args: { file_path: "README.md" }, line: '● tool_use Read {"file_path":"README.md"}', attempt });
    expect(agentEvents[2].payload).toMatchObject({ callId: "toolu_00", tool: "Read", ok: false, summary: "<tool_use_error>File does not exist.</tool_use_error>" });
    expect(agentEvents[7].payload).toMatchObject({ callId: "toolu_03", args: { command: "bash test.sh", description: "Run the tests" } });
    expect(agentEvents[8].payload).toMatchObject({ callId: "toolu_03", tool: "Bash", ok: true, summary: "add ok (+2 lines)" });
    expect(agentEvents[9].payload).toMatchObject({ text: "Added mul() with a test." });
    expect(agentEvents.every((e) => typeof e.payload.time === "string")).toBe(true);
    const agentDone = ev.find((e) => e.type === "stage" && e.payload.stage === "agent" && e.payload.status === "succeeded");
    expect(agentDone.payload).toMatchObject({ inputTokens: 1200, outputTokens: 300, costUsd: 0.01 });
    // The mapper reported the run's usage with the task's token: one `agent` row in the ledger, with its event
    // (input includes the 5000 cache reads, which Claude Code counts apart).
    const usage = ev.filter((e) => e.type === "usage");
    expect(usage.map((e) => e.payload)).toEqual([
      expect.objectContaining({ stepId: "agent", provider: "anthropic", inputTokens: 6200, outputTokens: 300, cachedTokens: 5000, costUsd: 0.01 }),
    ]);
    const ledger = await s.api("GET", "/usage?groupBy=operation");
    expect(ledger.body.groups.find((g: any) => g.key === job.id)).toMatchObject({ calls: 1, inputTokens: 6200, costUsd: 0.01, unpricedCalls: 0 });
  });

  it("fails the job with the message of an error result", async () => {
    const created = await s.api("POST", "/jobs", { projectId, prompt: "FAIL please", executor: { type: "claude-code" } });
    const job = await jobToEnd(created.body.id);
    expect(job.status).toBe("failed");
    expect(job.stage).toBe("agent");
    expect(job.error).toContain("the agent failed");
    expect(job.error).toContain("✗ result: Credit balance is too low");
    const errLine = agentLog(await events(job.id)).find((e) => e.payload.line.includes("Credit balance"));
    expect(errLine.payload).toMatchObject({ stream: "stderr", level: "warn" });
    expect(() => fixture.git("rev-parse", "--verify", `refs/heads/shipyard/job-${job.id}`)).toThrow();
  });

  it("fails the job when claude exits non-zero", async () => {
    const created = await s.api("POST", "/jobs", { projectId, prompt: "CRASH now", executor: { type: "claude-code" } });
    const job = await jobToEnd(created.body.id);
    expect(job.status).toBe("failed");
    expect(job.error).toContain("claude: something broke");
    expect(job.error).toContain("shipyard: claude exited with code 3");
  });

  it("rejects bad claude-code options", async () => {
    const bad = async (executor: unknown) => (await s.api("POST", "/jobs", { projectId, prompt: "x", executor })).status;
    expect(await bad({ type: "claude-code", maxTurns: 0 })).toBe(400);
    expect(await bad({ type: "claude-code", model: "--dangerously-skip-permissions" })).toBe(400);
    expect(await bad({ type: "claude-code", extra: true })).toBe(400);
  });
});
