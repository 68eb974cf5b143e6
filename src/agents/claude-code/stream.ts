// Claude Code's `--output-format stream-json` output, one JSON object a line, turned into one readable log line
// per event. Pure: no I/O, so it is unit-tested against a recorded stream (test/fixtures/claude-stream.jsonl).

export type ClaudeLineKind = "text" | "tool_use" | "tool_result" | "result" | "other";

/** What the final `result` message says. */
export interface ClaudeResult {
  isError: boolean;
  /** The result text (the answer, or the error message). */
  message: string;
  subtype: string | null;
  costUsd: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  numTurns: number | null;
}

export interface MappedClaudeLine {
  level: "info" | "warn" | "error";
  /** The human line(s) to print; empty when there is nothing worth showing. */
  line: string;
  kind: ClaudeLineKind;
  /** For `result`: the parsed result; for `tool_use`: the tools called. */
  detail?: ClaudeResult | { tools: { name: string; input: unknown }[] };
}

const MAX_TEXT = 2000;
const MAX_INPUT = 300;
const MAX_TOOL_RESULT = 200;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length - max} more chars)` : s;
}

/** A tool_result's content: a string, or an array of `{type: "text", text}` blocks (and others, e.g. images). */
function toolResultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((c) => (isObject(c) && typeof c.text === "string" ? c.text : isObject(c) ? `[${String(c.type)}]` : "")).join("\n");
  }
  return content === undefined || content === null ? "" : JSON.stringify(content);
}

/** `$0.0123` to at most four decimals. */
export function formatCost(usd: number): string {
  return `$${Number(usd.toFixed(4))}`;
}

export function parseResult(msg: Json): ClaudeResult {
  const usage = isObject(msg.usage) ? msg.usage : {};
  const subtype = str(msg.subtype);
  const isError = msg.is_error === true || (subtype !== null && subtype !== "success");
  const text = str(msg.result) ?? (Array.isArray(msg.errors) ? msg.errors.map(String).join("; ") : null);
  return {
    isError,
    message: text ?? (isError ? `claude stopped: ${subtype ?? "error"}` : ""),
    subtype,
    costUsd: num(msg.total_cost_usd),
    inputTokens: num(usage.input_tokens),
    outputTokens: num(usage.output_tokens),
    cacheReadTokens: num(usage.cache_read_input_tokens),
    numTurns: num(msg.num_turns),
  };
}

/** `(3 turns, $0.01, 1200 in / 300 out tokens)`, leaving out what the result did not report. */
function resultStats(r: ClaudeResult): string {
  const parts: string[] = [];
  if (r.numTurns !== null) parts.push(`${r.numTurns} turn${r.numTurns === 1 ? "" : "s"}`);
  if (r.costUsd !== null) parts.push(formatCost(r.costUsd));
  if (r.inputTokens !== null || r.outputTokens !== null) parts.push(`${r.inputTokens ?? 0} in / ${r.outputTokens ?? 0} out tokens`);
  if (r.cacheReadTokens) parts.push(`${r.cacheReadTokens} cached`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

function contentOf(msg: Json): unknown[] {
  const m = isObject(msg.message) ? msg.message : {};
  return Array.isArray(m.content) ? m.content : typeof m.content === "string" ? [{ type: "text", text: m.content }] : [];
}

/** Map one line of Claude Code's stream-json output to a readable event. Lines that are not JSON pass through. */
export function mapClaudeLine(raw: string): MappedClaudeLine {
  const trimmed = raw.trim();
  if (!trimmed) return { level: "info", line: "", kind: "other" };
  let msg: unknown;
  try {
    msg = JSON.parse(trimmed);
  } catch {
    return { level: "info", line: raw, kind: "other" };
  }
  if (!isObject(msg)) return { level: "info", line: raw, kind: "other" };

  switch (msg.type) {
    case "system": {
      if (msg.subtype === "init") {
        const model = str(msg.model);
        const tools = Array.isArray(msg.tools) ? msg.tools.length : null;
        return { level: "info", line: `· claude session started${model ? ` (${model}${tools !== null ? `, ${tools} tools` : ""})` : ""}`, kind: "other" };
      }
      return { level: "info", line: "", kind: "other" };
    }
    case "assistant": {
      const lines: string[] = [];
      const tools: { name: string; input: unknown }[] = [];
      for (const c of contentOf(msg)) {
        if (!isObject(c)) continue;
        if (c.type === "text" && typeof c.text === "string" && c.text.trim()) lines.push(clip(c.text.trim(), MAX_TEXT));
        else if (c.type === "tool_use") {
          const name = str(c.name) ?? "tool";
          tools.push({ name, input: c.input });
          lines.push(`● tool_use ${name} ${clip(JSON.stringify(c.input ?? {}), MAX_INPUT)}`);
        }
      }
      if (tools.length) return { level: "info", line: lines.join("\n"), kind: "tool_use", detail: { tools } };
      return { level: "info", line: lines.join("\n"), kind: lines.length ? "text" : "other" };
    }
    case "user": {
      const lines: string[] = [];
      let failed = false;
      for (const c of contentOf(msg)) {
        if (!isObject(c) || c.type !== "tool_result") continue;
        const text = toolResultText(c.content).trim();
        const isError = c.is_error === true;
        failed ||= isError;
        const all = text.split("\n");
        const first = clip(all[0] ?? "", MAX_TOOL_RESULT);
        const more = all.length > 1 ? ` (+${all.length - 1} lines)` : "";
        lines.push(`  ${isError ? "✗ tool_result error" : "↳ tool_result"}${text ? `: ${first}${more}` : ""}`);
      }
      if (!lines.length) return { level: "info", line: "", kind: "other" };
      return { level: failed ? "warn" : "info", line: lines.join("\n"), kind: "tool_result" };
    }
    case "result": {
      const r = parseResult(msg);
      const text = clip(r.message.trim(), MAX_TEXT);
      const line = r.isError ? `✗ result: ${text}${resultStats(r)}` : `✓ result: ${text}${resultStats(r)}`;
      return { level: r.isError ? "error" : "info", line, kind: "result", detail: r };
    }
    default:
      return { level: "info", line: "", kind: "other" };
  }
}

/** `$SHIPYARD_OUTPUT` lines for a result: usage and cost, as far as reported. */
export function resultOutputs(r: ClaudeResult): string {
  const out: string[] = [];
  if (r.inputTokens !== null) out.push(`usage_input_tokens=${r.inputTokens}`);
  if (r.outputTokens !== null) out.push(`usage_output_tokens=${r.outputTokens}`);
  if (r.cacheReadTokens !== null) out.push(`usage_cache_read_tokens=${r.cacheReadTokens}`);
  if (r.costUsd !== null) out.push(`cost_usd=${r.costUsd}`);
  if (r.numTurns !== null) out.push(`num_turns=${r.numTurns}`);
  return out.map((l) => `${l}\n`).join("");
}
