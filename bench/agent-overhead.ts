// (a) Per-tool-call overhead of the built-in agent loop: 50 tool calls (alternating `read_file` of a small file
// and `list_files`) and a final answer, played by the replay provider from a cassette built the documented way
// (run, take the fingerprint from the CassetteMissError, add the next hand-written answer), against the same 50
// calls made with `executeTool` directly. (b) The cost of one usage record (`recordUsage`) per model call on
// an embedded PostgreSQL.
import { promises as fs } from "node:fs";
import path from "node:path";
import { executeTool, runBuiltinAgent, type BuiltinAgentResult, type ToolName } from "../src/agents/builtin/index.ts";
import { CassetteMissError, recordUsage, resolveModel, type CassetteFile, type CassetteResponse } from "../src/agents/llm/index.ts";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrate } from "../src/db/migrate.ts";
import { createPool } from "../src/db/pool.ts";
import { createLogger } from "../src/logger.ts";
import { main, median, onCleanup, percentile, round, report, tempDir } from "./lib/common.ts";

const TOOL_CALLS = 50;
const RUNS = 5;
const RECORDS = 500;
const CASSETTE = "agent-overhead";

const calls: [ToolName, Record<string, unknown>][] = Array.from({ length: TOOL_CALLS }, (_, i) =>
  i % 2 === 0 ? ["read_file", { path: "small.txt" }] : ["list_files", {}],
);

function toolAnswer(i: number): CassetteResponse {
  const [toolName, args] = calls[i]!;
  return {
    content: [{ type: "tool-call", toolCallId: `call_${i}`, toolName, input: JSON.stringify(args) }],
    finishReason: "tool-calls",
    usage: { inputTokens: 100, outputTokens: 10 },
  };
}
const finalAnswer: CassetteResponse = { content: [{ type: "text", text: "Done." }], finishReason: "stop", usage: { inputTokens: 100, outputTokens: 10 } };

async function agentRun(cassettesDir: string, workspace: string): Promise<BuiltinAgentResult> {
  const model = resolveModel(`replay:${CASSETTE}`, { cassettesDir });
  return runBuiltinAgent({ model, workspace, prompt: "Look around the workspace.", maxTurns: 1000, loopLimit: 1000 });
}

async function agentPart() {
  const workspace = tempDir("shipyard-bench-agent-ws-");
  await fs.writeFile(path.join(workspace, "small.txt"), "a small file\nof three lines\nfor read_file\n");
  await fs.mkdir(path.join(workspace, "src"));
  for (let i = 0; i < 5; i++) await fs.writeFile(path.join(workspace, "src", `f${i}.ts`), `export const x${i} = ${i};\n`);
  const cassettesDir = tempDir("shipyard-bench-cassettes-");
  const file = path.join(cassettesDir, `${CASSETTE}.json`);
  const cassette: CassetteFile = { version: 1, model: "anthropic:claude-sonnet-4-5", entries: {} };

  // Build the cassette: one hand-written answer per fingerprint the agent asks for.
  const buildStart = performance.now();
  for (let i = 0; ; i++) {
    await fs.writeFile(file, JSON.stringify(cassette));
    const r = await agentRun(cassettesDir, workspace);
    if (!(r.error instanceof CassetteMissError)) {
      if (r.status !== "succeeded") throw new Error(`agent ended ${r.status}: ${r.reason}`);
      if (i !== TOOL_CALLS + 1) throw new Error(`expected ${TOOL_CALLS + 1} answers, used ${i}`);
      break;
    }
    if (i > TOOL_CALLS) throw new Error(`the agent asked for answer ${i + 1} of ${TOOL_CALLS + 1}`);
    cassette.entries[r.error.fingerprint] = { response: i < TOOL_CALLS ? toolAnswer(i) : finalAnswer };
  }
  const buildMs = performance.now() - buildStart;

  await agentRun(cassettesDir, workspace); // warm-up
  const totals: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await agentRun(cassettesDir, workspace);
    totals.push(performance.now() - t0);
    if (r.status !== "succeeded" || r.turns !== TOOL_CALLS + 1) throw new Error(`timed run ended ${r.status} after ${r.turns} turns: ${r.reason}`);
  }

  // The tools alone: the same 50 calls through executeTool.
  const ctx = { workspace, commandTimeoutMs: 60_000 };
  const toolsOnce = async () => {
    const t0 = performance.now();
    for (const [name, args] of calls) {
      const r = await executeTool(ctx, name, args);
      if (!r.ok) throw new Error(`${name} failed: ${r.text}`);
    }
    return performance.now() - t0;
  };
  await toolsOnce(); // warm-up
  const toolTotals: number[] = [];
  for (let i = 0; i < RUNS; i++) toolTotals.push(await toolsOnce());

  const msPerCall = median(totals) / TOOL_CALLS;
  const toolMsPerCall = median(toolTotals) / TOOL_CALLS;
  return { buildMs, totals, toolTotals, msPerCall, toolMsPerCall, loopMsPerCall: msPerCall - toolMsPerCall };
}

async function usagePart() {
  const base = tempDir("shipyard-bench-usage-");
  const log = createLogger(process.env.SHIPYARD_LOG_LEVEL ?? "warn");
  const pgStart = performance.now();
  const db = await startEmbeddedPostgres({ dir: path.join(base, "pg"), port: 0, log });
  onCleanup(() => db.stop());
  const pool = createPool(db.url, 4);
  onCleanup(() => pool.end());
  await migrate(pool);
  const pgMs = performance.now() - pgStart;
  const workspaceId = "ws_bench";
  await pool.query("insert into workspaces (id, name) values ($1, $2)", [workspaceId, "bench"]);
  const record = {
    provider: "anthropic",
    model: "claude-sonnet-4-5",
    inputTokens: 1200,
    outputTokens: 300,
    cachedTokens: 100,
    latencyMs: 850,
    callKind: "generate" as const,
    workspaceId,
    operationId: "op_bench",
    projectId: null,
  };
  for (let i = 0; i < 20; i++) await recordUsage(pool, record); // warm-up (connections, plan)
  const times: number[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const t0 = performance.now();
    await recordUsage(pool, record);
    times.push(performance.now() - t0);
  }
  const { rows } = await pool.query<{ n: string }>("select count(*) as n from model_usage");
  return { pgMs, times, rows: Number(rows[0]!.n) };
}

main("agent-overhead", async () => {
  process.env.SHIPYARD_LOG_LEVEL ??= "warn";
  const a = await agentPart();
  const u = await usagePart();
  const fmt = (xs: number[]) => xs.map((x) => round(x)).join(", ");
  const usageP50 = median(u.times);
  const usageP99 = percentile(u.times, 99);
  report(
    "agent-overhead",
    [
      `built-in agent, replay provider: ${TOOL_CALLS} tool calls (read_file / list_files alternating) + final answer, ${RUNS} runs after 1 warm-up`,
      `  cassette built in ${TOOL_CALLS + 2} runs from CassetteMissErrors: ${round(a.buildMs)} ms`,
      `  run totals ms:                 ${fmt(a.totals)}`,
      `  ms per tool call (median):     ${round(a.msPerCall, 3)}`,
      `the same ${TOOL_CALLS} calls through executeTool directly`,
      `  totals ms:                     ${fmt(a.toolTotals)}`,
      `  ms per tool call (median):     ${round(a.toolMsPerCall, 3)}`,
      `loop's own overhead per tool call (agent − tools; includes the replay model call): ${round(a.loopMsPerCall, 3)} ms`,
      `recordUsage on embedded PostgreSQL (started + migrated in ${round(u.pgMs)} ms): ${RECORDS} sequential records after 20 warm-up`,
      `  ms per record: median ${round(usageP50, 3)}, p99 ${round(usageP99, 3)}, max ${round(Math.max(...u.times), 3)}   (${u.rows} rows stored)`,
    ],
    {
      toolCalls: TOOL_CALLS,
      runs: RUNS,
      agentTotalsMs: a.totals.map((t) => round(t)),
      agentMsPerToolCall: round(a.msPerCall, 3),
      toolsTotalsMs: a.toolTotals.map((t) => round(t)),
      toolsMsPerToolCall: round(a.toolMsPerCall, 3),
      loopOverheadMsPerToolCall: round(a.loopMsPerCall, 3),
      cassetteBuildMs: round(a.buildMs),
      usageRecords: RECORDS,
      usageP50Ms: round(usageP50, 3),
      usageP99Ms: round(usageP99, 3),
      usageMaxMs: round(Math.max(...u.times), 3),
    },
  );
});
