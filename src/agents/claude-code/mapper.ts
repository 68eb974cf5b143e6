// The runner-side filter: Claude Code's stream-json on stdin → agent event markers (messages, tool calls and
// results) and plain lines (session start, the result) on stdout, errors on stderr; usage, cost and the result
// text appended to $SHIPYARD_OUTPUT; exit 1 when the final result is an error or missing.
import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { AGENT_EVENT_MARKER, agentEventLine } from "../events.ts";
import { mapClaudeLine, resultOutputs, type ClaudeEvent, type ClaudeResult } from "./stream.ts";
import { postToServer, serverAddressFrom, type ServerAddress } from "../server-call.ts";

/**
 * Read Claude Code's stream-json from `input` and print one marker per event and the plain lines; append the
 * result's outputs to `outputFile`. Resolves to the exit code: 0 on a successful result, else 1.
 */
export async function runClaudeMapper(
  input: NodeJS.ReadableStream = process.stdin,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  outputFile: string | undefined = process.env.SHIPYARD_OUTPUT,
  report: UsageReport | undefined = usageReportFrom(process.env),
): Promise<number> {
  let model = "claude-code";
  // A tool_result names only its call's id; the name is in the tool_use seen earlier in the stream.
  const toolNames = new Map<string, string>();
  const marker = (e: ClaudeEvent): string => {
    if (e.type === "tool_call" && e.callId) toolNames.set(e.callId, e.tool);
    if (e.type !== "tool_result") return agentEventLine(e);
    return agentEventLine({ ...e, tool: (e.callId && toolNames.get(e.callId)) || "tool" });
  };
  let result: ClaudeResult | null = null;
  for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
    const mapped = mapClaudeLine(raw);
    if (mapped.result) result = mapped.result;
    if (mapped.model) model = mapped.model;
    for (const e of mapped.events) out.write(`${marker(e)}\n`);
    if (mapped.line) (mapped.level === "error" ? err : out).write(`${defused(mapped.line)}\n`);
  }
  if (!result) {
    err.write("✗ claude ended without a result\n");
    return 1;
  }
  if (outputFile) appendFileSync(outputFile, resultOutputs(result));
  if (report) await reportUsage(report, model, result, err);
  return result.isError ? 1 : 0;
}

/** Where the run's usage goes: the server's agent-usage endpoint, with the task's token. */
export interface UsageReport {
  server: ServerAddress;
  token: string;
}

/** The report target the runner set up, if any. */
export function usageReportFrom(env: NodeJS.ProcessEnv): UsageReport | undefined {
  const server = serverAddressFrom(env);
  return server && env.SHIPYARD_TASK_TOKEN ? { server, token: env.SHIPYARD_TASK_TOKEN } : undefined;
}

/** Send the result's usage to the server's ledger; a failure is a warning line, not a failed agent run. */
async function reportUsage(report: UsageReport, model: string, r: ClaudeResult, err: NodeJS.WritableStream): Promise<void> {
  if (r.costUsd === null) return;
  const cached = r.cacheReadTokens ?? 0;
  // Claude Code counts cache reads apart from input; the ledger's input includes them.
  const body = { model, inputTokens: (r.inputTokens ?? 0) + cached, outputTokens: r.outputTokens ?? 0, cachedTokens: cached, costUsd: r.costUsd };
  try {
    const res = await postToServer(report.server, "/api/v1/agent-usage", report.token, body);
    if (res.status >= 300) err.write(`! usage not recorded: the server answered ${res.status} ${res.text.slice(0, 300)}\n`);
  } catch (e) {
    err.write(`! usage not recorded: ${(e as Error).message}\n`);
  }
}

// The marker is letters and colons only, nothing a regular expression reads specially.
const MARKER_AT_LINE_START = new RegExp(`(^|[\\r\\n])(?=${AGENT_EVENT_MARKER})`, "g");

/**
 * Plain lines carry text the model wrote (the result message), which must not pass for the marker of an event
 * nobody emitted: a line that starts like one is indented. The runner splits lines at a lone \r as well.
 */
function defused(text: string): string {
  return text.replace(MARKER_AT_LINE_START, "$1 ");
}
