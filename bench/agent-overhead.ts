// (a) Per-tool-call overhead of the built-in agent loop: 50 tool calls (alternating `read_file` of a small file
// and `list_files`) and a final answer, played by the replay provider from a cassette built the documented way
// (run, take the fingerprint from the CassetteMissError, add the next hand-written answer), against the same 50
// calls made with `executeTool` directly. (b) The cost of one usage record (`recordUsage`) per model call on
// an embedded PostgreSQL.
import path from "node:path";
import { executeTool } from "../src/agents/builtin/index.ts";
import { recordUsage } from "../src/agents/llm/index.ts";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrate } from "../src/db/migrate.ts";
import { createPool } from "../src/db/pool.ts";
import { createLogger } from "../src/logger.ts";
import { benchAnswers, benchToolCalls, buildAgentCassette, replayAgentRun, writeBenchWorkspace } from "./lib/agent-cassette.ts";
import { main, median, onCleanup, percentile, round, report, tempDir } from "./lib/common.ts";

const TOOL_CALLS = 50;
const RUNS = 5;
const RECORDS = 500;
const CASSETTE = "agent-overhead";

const calls = benchToolCalls(TOOL_CALLS);
const PROMPT = "Look around the workspace.";

async function agentPart() {
  const workspace = tempDir("shipyard-bench-agent-ws-");
  await writeBenchWorkspace(workspace);
  const cassettesDir = tempDir("shipyard-bench-cassettes-");
  const buildStart = performance.now();
  const builtIn = await buildAgentCassette(cassettesDir, CASSETTE, workspace, PROMPT, benchAnswers(calls));
  if (builtIn !== TOOL_CALLS + 2) throw new Error(`expected ${TOOL_CALLS + 2} runs to build the cassette, took ${builtIn}`);
  const buildMs = performance.now() - buildStart;

  const agentRun = () => replayAgentRun(cassettesDir, CASSETTE, workspace, PROMPT);
  await agentRun(); // warm-up
  const totals: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await agentRun();
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
