import { describe, expect, it } from "vitest";
import { AGENT_EVENT_MARKER, agentEventLine, parseAgentEventLine } from "./events.ts";

describe("agent event marker lines", () => {
  it("round-trip each event type, with a readable default line", () => {
    const call = agentEventLine({ type: "tool_call", callId: "toolu_1", tool: "Bash", args: { command: "ls\n-la" } });
    expect(call.startsWith(AGENT_EVENT_MARKER)).toBe(true);
    expect(call).not.toContain("\n");
    expect(parseAgentEventLine(call)).toEqual({ type: "tool_call", callId: "toolu_1", tool: "Bash", args: { command: "ls\n-la" }, line: '● Bash {"command":"ls\\n-la"}' });

    const result = agentEventLine({ type: "tool_result", callId: "toolu_1", tool: "Bash", ok: false, summary: "exit 1" });
    expect(parseAgentEventLine(result)).toEqual({ type: "tool_result", callId: "toolu_1", tool: "Bash", ok: false, summary: "exit 1", line: "↳ Bash error: exit 1" });

    const message = agentEventLine({ type: "agent_message", text: "  Done.\nTwo lines.  " });
    expect(parseAgentEventLine(message)).toEqual({ type: "agent_message", text: "  Done.\nTwo lines.  ", line: "Done.\nTwo lines." });
  });

  it("keep a line given by the writer", () => {
    const line = agentEventLine({ type: "tool_result", tool: "Read", ok: true, summary: "x", line: "  ↳ tool_result: x" });
    expect(parseAgentEventLine(line)).toEqual({ type: "tool_result", tool: "Read", ok: true, summary: "x", line: "  ↳ tool_result: x" });
  });

  it("cut long arguments in the default line", () => {
    const e = parseAgentEventLine(agentEventLine({ type: "tool_call", tool: "Write", args: { content: "x".repeat(1000) } }));
    expect(e?.type).toBe("tool_call");
    expect(e!.line).toBe(`● Write ${JSON.stringify({ content: "x".repeat(1000) }).slice(0, 300)}…`);
  });

  it("are null for other lines", () => {
    expect(parseAgentEventLine("")).toBeNull();
    expect(parseAgentEventLine("hello")).toBeNull();
    expect(parseAgentEventLine('{"type":"agent_message","text":"x","line":"x"}')).toBeNull();
    // Only at the start of the line: a log line quoting a marker stays a log line.
    expect(parseAgentEventLine(` ${agentEventLine({ type: "agent_message", text: "x" })}`)).toBeNull();
  });

  it("are null when the JSON is invalid or is not a valid event", () => {
    expect(parseAgentEventLine(AGENT_EVENT_MARKER)).toBeNull();
    expect(parseAgentEventLine(`${AGENT_EVENT_MARKER}{not json`)).toBeNull();
    expect(parseAgentEventLine(`${AGENT_EVENT_MARKER}"a string"`)).toBeNull();
    expect(parseAgentEventLine(`${AGENT_EVENT_MARKER}{"type":"log","line":"x"}`)).toBeNull();
    expect(parseAgentEventLine(`${AGENT_EVENT_MARKER}{"type":"tool_call","tool":"","line":"x"}`)).toBeNull();
    expect(parseAgentEventLine(`${AGENT_EVENT_MARKER}{"type":"tool_result","tool":"Bash","summary":"s","line":"x"}`)).toBeNull();
    expect(parseAgentEventLine(`${AGENT_EVENT_MARKER}{"type":"agent_message","text":"x"}`)).toBeNull();
    expect(parseAgentEventLine(`${AGENT_EVENT_MARKER}${JSON.stringify({ type: "tool_call", tool: "t".repeat(201), line: "x" })}`)).toBeNull();
  });

  it("clip long text fields when read", () => {
    const e = parseAgentEventLine(agentEventLine({ type: "agent_message", text: "a".repeat(25_000) }));
    expect(e).toMatchObject({ type: "agent_message", text: `${"a".repeat(20_000)}…`, line: `${"a".repeat(20_000)}…` });
    const r = parseAgentEventLine(agentEventLine({ type: "tool_result", tool: "Bash", ok: true, summary: "s".repeat(3000) }));
    expect(r).toMatchObject({ summary: `${"s".repeat(2000)}…` });
    expect(r!.line).toBe(`↳ Bash ok: ${"s".repeat(2000 - "↳ Bash ok: ".length)}…`);
  });
});
