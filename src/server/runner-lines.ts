// What the server stores of the lines a runner streams: log events, or agent events for marker lines.
import { parseAgentEventLine } from "../agents/events.ts";
import type { EventInput } from "../events/store.ts";
import type { LogLine } from "../runner/protocol.ts";

/**
 * PostgreSQL text and jsonb cannot hold NUL, so one NUL a step printed (or wrote as an output) would make the
 * whole log batch (or the result) fail to store; it is kept as U+FFFD instead.
 */
const noNul = (s: string) => (s.includes("\0") ? s.replaceAll("\0", "\uFFFD") : s);

/** `value` with every NUL in its strings (keys too) replaced. */
export function withoutNul<T>(value: T): T {
  if (typeof value === "string") return noNul(value) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [noNul(k), withoutNul(v)])) as T;
  return value;
}

/** A line a step printed as an event: an agent event when it is a marker on stdout, else a log line. */
export function lineEvent(stepId: string, attempt: number, l: LogLine): EventInput {
  const agent = l.stream === "stdout" ? parseAgentEventLine(l.line) : null;
  if (agent) {
    const { type, ...fields } = agent;
    // The payload is the agent event's own fields, so it is the catalogue's for `type` (TS cannot pair the two).
    return { type, payload: withoutNul({ stepId, attempt, ...fields, time: l.time }) } as EventInput;
  }
  return { type: "log", payload: { stepId, attempt, stream: l.stream, level: l.stream === "stderr" ? "warn" : "info", line: noNul(l.line), time: l.time } };
}
