import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseOutputFile } from "../../workflows/index.ts";
import { mapClaudeLine, parseResult, resultOutputs, type ClaudeResult } from "./index.ts";

const FIXTURE = path.join(import.meta.dirname, "../../../test/fixtures/claude-stream.jsonl");
const recorded = readFileSync(FIXTURE, "utf8");

describe("mapClaudeLine", () => {
  it("maps a recorded stream to events and plain lines", () => {
    const mapped = recorded.split("\n").map(mapClaudeLine);
    expect(mapped.map((m) => m.kind)).toEqual([
      "other", "text", "tool_use", "tool_result", "tool_use", "tool_result", "tool_use", "tool_result", "tool_use", "tool_result", "text", "result", "other",
    ]);
    expect(mapped.filter((m) => m.line).map((m) => m.line)).toEqual([
      "· claude session started (claude-sonnet-4-5, 4 tools)",
      "✓ result: Added mul() with a test. (3 turns, $0.01, 1200 in / 300 out tokens, 5000 cached)",
    ]);
    const events = mapped.flatMap((m) => m.events);
    expect(events.map((e) => e.line)).toEqual([
      "I'll add mul() to math.sh and a test for it.",
      '● tool_use Read {"file_path":"README.md"}',
      "  ✗ tool_result error: <tool_use_error>File does not exist.</tool_use_error>",
      expect.stringMatching(/^● tool_use Edit \{"file_path":"math\.sh",/),
      "  ↳ tool_result: The file math.sh has been updated. (+2 lines)",
      expect.stringMatching(/^● tool_use Write \{"file_path":"tests\/mul\.sh",/),
      "  ↳ tool_result: File created successfully at: tests/mul.sh",
      '● tool_use Bash {"command":"bash test.sh","description":"Run the tests"}',
      "  ↳ tool_result: add ok (+2 lines)",
      "Added mul() with a test.",
    ]);
    expect(events[0]).toEqual({ type: "agent_message", text: "I'll add mul() to math.sh and a test for it.", line: "I'll add mul() to math.sh and a test for it." });
    expect(events[1]).toEqual({ type: "tool_call", callId: "toolu_00", tool: "Read", args: { file_path: "README.md" }, line: '● tool_use Read {"file_path":"README.md"}' });
    expect(events[2]).toMatchObject({ type: "tool_result", callId: "toolu_00", ok: false, summary: "<tool_use_error>File does not exist.</tool_use_error>" });
    expect(events[4]).toMatchObject({ type: "tool_result", callId: "toolu_01", ok: true, summary: "The file math.sh has been updated. (+2 lines)" });
    expect(events[7]).toMatchObject({ type: "tool_call", callId: "toolu_03", tool: "Bash", args: { command: "bash test.sh", description: "Run the tests" } });
    expect(events[8]).toMatchObject({ type: "tool_result", callId: "toolu_03", ok: true, summary: "add ok (+2 lines)" });
    expect(mapped[3]!.level).toBe("warn");
    expect(mapped[5]!.level).toBe("info");
    const result = mapped[11]!.result as ClaudeResult;
    expect(result).toMatchObject({ isError: false, message: "Added mul() with a test.", costUsd: 0.01, inputTokens: 1200, outputTokens: 300, numTurns: 3 });
    expect(mapped[11]!.events).toEqual([]);
  });

  it("keeps a message's blocks in order and clips long tool arguments", () => {
    const line = JSON.stringify({
      type: "assistant",
      message: { content: [{ type: "text", text: "  first  " }, { type: "tool_use", id: "t1", name: "Write", input: { path: "a", content: "x".repeat(5000) } }, { type: "text", text: " " }] },
    });
    const m = mapClaudeLine(line);
    expect(m).toMatchObject({ kind: "tool_use", line: "" });
    expect(m.events.map((e) => e.type)).toEqual(["agent_message", "tool_call"]);
    expect(m.events[0]).toMatchObject({ text: "first", line: "first" });
    const call = m.events[1]!;
    expect(call.line.length).toBeLessThan(400);
    expect(call.line).toMatch(/more chars\)$/);
    expect(call).toMatchObject({ tool: "Write", args: { path: "a", content: `${"x".repeat(2000)}… (3000 more chars)` } });
  });

  it("names a tool without a name or id plainly, and reads empty and block results", () => {
    const call = mapClaudeLine(JSON.stringify({ type: "assistant", message: { content: [{ type: "tool_use", name: "" }] } }));
    expect(call.events).toEqual([{ type: "tool_call", tool: "tool", args: {}, line: "● tool_use tool {}" }]);
    const results = mapClaudeLine(JSON.stringify({
      type: "user",
      message: { content: [{ type: "tool_result", tool_use_id: "a", content: "" }, { type: "tool_result", tool_use_id: "b", content: [{ type: "image" }, { type: "text", text: "two" }] }] },
    }));
    expect(results.events).toEqual([
      { type: "tool_result", callId: "a", ok: true, summary: "", line: "  ↳ tool_result" },
      { type: "tool_result", callId: "b", ok: true, summary: "[image] (+1 lines)", line: "  ↳ tool_result: [image] (+1 lines)" },
    ]);
    expect(mapClaudeLine(JSON.stringify({ type: "user", message: { content: "the prompt" } }))).toEqual({ level: "info", line: "", kind: "other", events: [] });
  });

  it("maps error results and non-JSON lines", () => {
    const err = mapClaudeLine(JSON.stringify({ type: "result", subtype: "success", is_error: true, result: "API Error: 401 invalid x-api-key", num_turns: 1, total_cost_usd: 0 }));
    expect(err).toMatchObject({ kind: "result", level: "error", line: "✗ result: API Error: 401 invalid x-api-key (1 turn, $0)" });
    const budget = mapClaudeLine(JSON.stringify({ type: "result", subtype: "error_max_budget_usd", is_error: false, num_turns: 5 }));
    expect(budget).toMatchObject({ level: "error", line: "✗ result: claude stopped: error_max_budget_usd (5 turns)" });
    expect(mapClaudeLine("not json")).toEqual({ level: "info", line: "not json", kind: "other", events: [] });
    expect(mapClaudeLine('{"type":"stream_event"}')).toEqual({ level: "info", line: "", kind: "other", events: [] });
    expect(mapClaudeLine("[1,2]")).toMatchObject({ kind: "other", line: "[1,2]" });
  });
});

describe("resultOutputs", () => {
  const result = (message: string): ClaudeResult => parseResult({ type: "result", subtype: "success", result: message, total_cost_usd: 0.5, num_turns: 2, usage: { input_tokens: 10, output_tokens: 5 } });

  it("writes usage and the result text in a form parseOutputFile reads back", () => {
    const text = resultOutputs(result("Done.\n\nChanged:\n- a=b\nx<<EOF\nEOF\nSHIPYARD_EOF\n"));
    expect(parseOutputFile(text)).toEqual({
      usage_input_tokens: "10",
      usage_output_tokens: "5",
      cost_usd: "0.5",
      num_turns: "2",
      text: "Done.\n\nChanged:\n- a=b\nx<<EOF\nEOF\nSHIPYARD_EOF\n",
    });
    expect(parseOutputFile(resultOutputs(result("")))).toMatchObject({ text: "" });
  });

  it("picks a delimiter the text does not contain, so the text cannot close its heredoc early", () => {
    const hostile = "ok\nSHIPYARD_EOF\nusage_input_tokens=0\nSHIPYARD_EOF_0\nSHIPYARD_EOF_1";
    expect(parseOutputFile(resultOutputs(result(hostile)))).toMatchObject({ text: hostile, usage_input_tokens: "10" });
  });
});
