// Structured agent events travel inside a step's stdout as marker lines, `::shipyard-event::{json}`, so they
// stay in order with the step's own log lines on the runner's one log channel. The server turns each marker
// into an event of its type (tool_call, tool_result, agent_message) instead of a log line; any step may print
// them, like GitHub Actions' workflow commands. Every event carries `line`, its human rendering, so a client
// that does not know the type can still show it.
import { z } from "zod";

export const AGENT_EVENT_MARKER = "::shipyard-event::";

const clipped = (max: number) => z.string().transform((s) => (s.length > max ? `${s.slice(0, max)}…` : s));

/** The agent event types, as written by an agent and as stored (plus stepId, attempt and time). */
export const AgentEvent = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("tool_call"),
    /** The id the model gave the call, to pair it with its result. */
    callId: z.string().max(200).optional(),
    tool: z.string().min(1).max(200),
    args: z.unknown().optional(),
    line: clipped(2000),
  }),
  z.object({
    type: z.literal("tool_result"),
    callId: z.string().max(200).optional(),
    tool: z.string().min(1).max(200),
    ok: z.boolean(),
    summary: clipped(2000),
    line: clipped(2000),
  }),
  z.object({
    type: z.literal("agent_message"),
    text: clipped(20_000),
    line: clipped(20_000),
  }),
]);
export type AgentEvent = z.infer<typeof AgentEvent>;
export type AgentEventType = AgentEvent["type"];

/** Arguments are shown in lines cut to this many characters. */
const ARGS_IN_LINE = 300;

/** The marker line for an event (no trailing newline); `line` defaults to a readable rendering. */
export function agentEventLine(e: DistributiveOmit<AgentEvent, "line"> & { line?: string }): string {
  return `${AGENT_EVENT_MARKER}${JSON.stringify({ ...e, line: e.line ?? describe(e) })}`;
}

/** The event a marker line carries; null for any other line, or a marker whose JSON is not a valid event. */
export function parseAgentEventLine(line: string): AgentEvent | null {
  if (!line.startsWith(AGENT_EVENT_MARKER)) return null;
  try {
    const parsed = AgentEvent.safeParse(JSON.parse(line.slice(AGENT_EVENT_MARKER.length)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function describe(e: DistributiveOmit<AgentEvent, "line">): string {
  if (e.type === "agent_message") return e.text.trim();
  if (e.type === "tool_call") {
    const args = JSON.stringify(e.args ?? {});
    return `● ${e.tool} ${args.length > ARGS_IN_LINE ? `${args.slice(0, ARGS_IN_LINE)}…` : args}`;
  }
  return `↳ ${e.tool} ${e.ok ? "ok" : "error"}: ${e.summary}`;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
