// Claude Code's `--output-format stream-json` output, one JSON object a line, turned into structured agent
// events (messages, tool calls, tool results; printed as markers, see ../events.ts) and a few plain lines
// (session start, the result). No I/O, so it is unit-tested against a recorded stream
// (test/fixtures/claude-stream.jsonl).
import { formatOutputFile } from "../../workflows/outputs.ts";

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

/**
 * A structured event read from the stream, `line` being its readable rendering. A tool_result carries only
 * the call's id: the tool's name is in an earlier line, so the caller (the mapper) pairs them.
 */
export type ClaudeEvent =
  | { type: "agent_message"; text: string; line: string }
  | { type: "tool_call"; callId?: string; tool: string; args: unknown; line: string }
  | { type: "tool_result"; callId?: string; ok: boolean; summary: string; line: string };

export interface MappedClaudeLine {
  level: "info" | "warn" | "error";
  /** A plain line (or lines) to print: the session start, the result, non-JSON input; empty when none. */
  line: string;
  kind: ClaudeLineKind;
  /** The structured events of this line, in stream order (assistant and user messages). */
  events: ClaudeEvent[];
  /** For `result`: the parsed result. */
  result?: ClaudeResult;
  /** For the session start: the model Claude Code runs. */
  model?: string;
}

const MAX_TEXT = 2000;
const MAX_INPUT = 300;
const MAX_TOOL_RESULT = 200;
// A Write or Edit call carries whole files: string arguments are clipped so one call stays a small event.
const MAX_ARG_STRING = 2000;
// The agent event schema's limit on ids and tool names; longer ones would make the whole marker invalid.
const MAX_NAME = 200;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length - max} more chars)` : s;
}

/** `v` with every string in it clipped to `max` characters. */
function clipStrings(v: unknown, max: number): unknown {
  if (typeof v === "string") return clip(v, max);
  if (Array.isArray(v)) return v.map((x) => clipStrings(x, max));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clipStrings(x, max)]));
  return v;
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

// A line with no events: the session start, a passed-through non-JSON line, or nothing to show.
const plain = (line: string): MappedClaudeLine => ({ level: "info", line, kind: "other", events: [] });

/** The events of an assistant message: its text blocks and tool calls. */
function assistantEvents(msg: Json): ClaudeEvent[] {
  const events: ClaudeEvent[] = [];
  for (const c of contentOf(msg)) {
    if (!isObject(c)) continue;
    if (c.type === "text" && typeof c.text === "string" && c.text.trim()) {
      const text = c.text.trim();
      events.push({ type: "agent_message", text, line: clip(text, MAX_TEXT) });
    } else if (c.type === "tool_use") {
      const tool = (str(c.name) || "tool").slice(0, MAX_NAME);
      const id = str(c.id)?.slice(0, MAX_NAME);
      const line = `● tool_use ${tool} ${clip(JSON.stringify(c.input ?? {}), MAX_INPUT)}`;
      events.push({ type: "tool_call", ...(id ? { callId: id } : {}), tool, args: clipStrings(c.input ?? {}, MAX_ARG_STRING), line });
    }
  }
  return events;
}

/** The tool_result events of a user message (the other blocks are the prompt, already known). */
function toolResultEvents(msg: Json): ClaudeEvent[] {
  const events: ClaudeEvent[] = [];
  for (const c of contentOf(msg)) {
    if (!isObject(c) || c.type !== "tool_result") continue;
    const text = toolResultText(c.content).trim();
    const ok = c.is_error !== true;
    const all = text.split("\n");
    const summary = text ? `${clip(all[0] ?? "", MAX_TOOL_RESULT)}${all.length > 1 ? ` (+${all.length - 1} lines)` : ""}` : "";
    const id = str(c.tool_use_id)?.slice(0, MAX_NAME);
    const line = `  ${ok ? "↳ tool_result" : "✗ tool_result error"}${summary ? `: ${summary}` : ""}`;
    events.push({ type: "tool_result", ...(id ? { callId: id } : {}), ok, summary, line });
  }
  return events;
}

/** Map one line of Claude Code's stream-json output to events or a plain line. Lines that are not JSON pass through. */
export function mapClaudeLine(raw: string): MappedClaudeLine {
  const trimmed = raw.trim();
  if (!trimmed) return plain("");
  let msg: unknown;
  try {
    msg = JSON.parse(trimmed);
  } catch {
    return plain(raw);
  }
  if (!isObject(msg)) return plain(raw);

  switch (msg.type) {
    case "system": {
      if (msg.subtype === "init") {
        const model = str(msg.model);
        const tools = Array.isArray(msg.tools) ? msg.tools.length : null;
        const started = plain(`· claude session started${model ? ` (${model}${tools !== null ? `, ${tools} tools` : ""})` : ""}`);
        return model ? { ...started, model } : started;
      }
      return plain("");
    }
    case "assistant": {
      const events = assistantEvents(msg);
      const kind = events.some((e) => e.type === "tool_call") ? "tool_use" : events.length ? "text" : "other";
      return { level: "info", line: "", kind, events };
    }
    case "user": {
      const events = toolResultEvents(msg);
      if (!events.length) return plain("");
      const failed = events.some((e) => e.type === "tool_result" && !e.ok);
      return { level: failed ? "warn" : "info", line: "", kind: "tool_result", events };
    }
    case "result": {
      const r = parseResult(msg);
      const text = clip(r.message.trim(), MAX_TEXT);
      const line = r.isError ? `✗ result: ${text}${resultStats(r)}` : `✓ result: ${text}${resultStats(r)}`;
      return { level: r.isError ? "error" : "info", line, kind: "result", events: [], result: r };
    }
    default:
      return plain("");
  }
}

/** `$SHIPYARD_OUTPUT` text for a result: usage and cost, as far as reported, and the result message as output `text`. */
export function resultOutputs(r: ClaudeResult): string {
  const out: Record<string, string> = {};
  if (r.inputTokens !== null) out.usage_input_tokens = String(r.inputTokens);
  if (r.outputTokens !== null) out.usage_output_tokens = String(r.outputTokens);
  if (r.cacheReadTokens !== null) out.usage_cache_read_tokens = String(r.cacheReadTokens);
  if (r.costUsd !== null) out.cost_usd = String(r.costUsd);
  if (r.numTurns !== null) out.num_turns = String(r.numTurns);
  // The model wrote the message: formatOutputFile picks a heredoc delimiter that is none of its lines.
  out.text = r.message;
  return formatOutputFile(out);
}
