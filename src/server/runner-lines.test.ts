import { describe, expect, it } from "vitest";
import { agentEventLine } from "../agents/events.ts";
import { lineEvent } from "./runner-lines.ts";

const time = "2026-01-01T00:00:00.000Z";

describe("lineEvent", () => {
  it("turns a marker on stdout into its agent event, with the step, attempt and time", () => {
    const line = agentEventLine({ type: "tool_call", callId: "c1", tool: "read_file", args: { path: "a\0b" } });
    expect(lineEvent("fix", 2, { stream: "stdout", line, time })).toEqual({
      type: "tool_call",
      payload: { stepId: "fix", attempt: 2, callId: "c1", tool: "read_file", args: { path: "a\uFFFDb" }, line: '● read_file {"path":"a\\u0000b"}', time },
    });
  });

  it("keeps markers on stderr, broken markers and plain lines as log lines", () => {
    const marker = agentEventLine({ type: "agent_message", text: "hi" });
    for (const [stream, line] of [["stderr", marker], ["stdout", "::shipyard-event::{not json"], ["stdout", '::shipyard-event::{"type":"nope"}'], ["stdout", "plain\0"]] as const) {
      const e = lineEvent("s", 1, { stream, line, time });
      expect(e.type).toBe("log");
      expect(e.payload).toMatchObject({ stepId: "s", attempt: 1, stream, line: line.replaceAll("\0", "\uFFFD") });
    }
  });
});
