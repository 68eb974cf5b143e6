// The built-in agent as an `agent:` workflow step on the local runner, its model calls going through the
// server's model endpoint (task token, budget check, usage record, replay on the server), against the same
// agent in-process (bench/agent-overhead.ts). Two steps are timed: one with 50 tool calls and one that answers
// at once; their difference over 50 is what one tool call (a `search`) costs through the runner and the server.
import path from "node:path";
import type { ToolName } from "../src/agents/builtin/index.ts";
import { benchAnswers, BENCH_WORKSPACE_FILES, buildAgentCassette, writeBenchWorkspace } from "./lib/agent-cassette.ts";
import { main, median, report, round, startBenchShipyard, submitRun, tempDir, waitUntil } from "./lib/common.ts";

const TOOL_CALLS = 50;
const RUNS = 3;
const CASSETTE = "agent-step";
const LONG = "Look around the workspace.";
const SHORT = "Just say done.";

/** A workflow that recreates the recording workspace, then runs the agent on `prompt`. */
function workflow(prompt: string): string {
  const writes = Object.entries(BENCH_WORKSPACE_FILES)
    .map(([file, text]) => `mkdir -p ${path.dirname(file)} && echo ${Buffer.from(text).toString("base64")} | base64 -d > ${file}`)
    .join("\n      ");
  return `
name: agent-step-bench
steps:
  - id: setup
    run: |
      ${writes}
  - id: agent
    needs: setup
    agent:
      model: replay:${CASSETTE}
      prompt: ${JSON.stringify(prompt)}
      max_turns: 1000
`;
}

main("agent-step", async () => {
  const cassettesDir = tempDir("shipyard-bench-step-cassettes-");
  const workspace = tempDir("shipyard-bench-step-ws-");
  await writeBenchWorkspace(workspace);
  // On a runner the agent stops the third identical call (loop detection), so every call here differs.
  const calls = Array.from({ length: TOOL_CALLS }, (_, i): [ToolName, Record<string, unknown>] => ["search", { pattern: `x${i}\\b` }]);
  await buildAgentCassette(cassettesDir, CASSETTE, workspace, LONG, benchAnswers(calls));
  await buildAgentCassette(cassettesDir, CASSETTE, workspace, SHORT, benchAnswers([]));
  const s = await startBenchShipyard({ SHIPYARD_CASSETTES: cassettesDir });

  const stepMs = async (prompt: string): Promise<number> => {
    const id = await submitRun(s, workflow(prompt));
    const run = await waitUntil(async () => {
      const r = await s.api("GET", `/runs/${id}`);
      return ["succeeded", "failed", "cancelled"].includes(r.body.status) ? r.body : null;
    }, 120_000, `run ${id}`);
    const step = run.steps.find((x: { id: string }) => x.id === "agent");
    if (run.status !== "succeeded") {
      const { body } = await s.api("GET", `/operations/${id}/events`);
      const lines = body.events.filter((e: { type: string }) => e.type === "log").map((e: { payload: { line: string } }) => e.payload.line);
      throw new Error(`run ${id} ${run.status}: ${JSON.stringify(run.error)}\n${lines.join("\n")}`);
    }
    return Date.parse(step.finishedAt) - Date.parse(step.startedAt);
  };
  await stepMs(SHORT); // warm-up
  const long: number[] = [];
  const short: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    long.push(await stepMs(LONG));
    short.push(await stepMs(SHORT));
  }
  const perCall = (median(long) - median(short)) / TOOL_CALLS;
  const fmt = (xs: number[]) => xs.map((x) => round(x)).join(", ");
  report(
    "agent-step",
    [
      `agent step on the local runner, replay model on the server, ${RUNS} runs each after 1 warm-up`,
      `  ${TOOL_CALLS} tool calls + answer, step ms: ${fmt(long)}`,
      `  answer only, step ms:            ${fmt(short)}   (node start, tsx load, one model call)`,
      `  ms per tool call through runner and server (median difference / ${TOOL_CALLS}): ${round(perCall, 3)}`,
    ],
    { toolCalls: TOOL_CALLS, runs: RUNS, longStepMs: long.map((x) => round(x)), shortStepMs: short.map((x) => round(x)), msPerToolCall: round(perCall, 3) },
  );
});
