import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLAUDE_MAPPER_PATH, mapClaudeLine, resultOutputs, type ClaudeResult } from "./index.ts";

const FIXTURE = path.join(import.meta.dirname, "../../../test/fixtures/claude-stream.jsonl");
const recorded = readFileSync(FIXTURE, "utf8");

describe("mapClaudeLine", () => {
  it("maps a recorded stream to readable lines", () => {
    const mapped = recorded.split("\n").map(mapClaudeLine);
    expect(mapped.map((m) => m.kind)).toEqual([
      "other", "text", "tool_use", "tool_result", "tool_use", "tool_result", "tool_use", "tool_result", "tool_use", "tool_result", "text", "result", "other",
    ]);
    expect(mapped.filter((m) => m.line).map((m) => m.line)).toEqual([
      "· claude session started (claude-sonnet-4-5, 4 tools)",
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
      "✓ result: Added mul() with a test. (3 turns, $0.01, 1200 in / 300 out tokens, 5000 cached)",
    ]);
    expect(mapped[3]!.level).toBe("warn");
    expect(mapped[2]!.detail).toEqual({ tools: [{ name: "Read", input: { file_path: "README.md" } }] });
    const result = mapped[11]!.detail as ClaudeResult;
    expect(result).toMatchObject({ isError: false, message: "Added mul() with a test.", costUsd: 0.01, inputTokens: 1200, outputTokens: 300, numTurns: 3 });
    expect(resultOutputs(result)).toBe("usage_input_tokens=1200\nusage_output_tokens=300\nusage_cache_read_tokens=5000\ncost_usd=0.01\nnum_turns=3\n");
  });

  it("maps error results, long inputs and non-JSON lines", () => {
    const err = mapClaudeLine(JSON.stringify({ type: "result", subtype: "success", is_error: true, result: "API Error: 401 invalid x-api-key", num_turns: 1, total_cost_usd: 0 }));
    expect(err).toMatchObject({ kind: "result", level: "error", line: "✗ result: API Error: 401 invalid x-api-key (1 turn, $0)" });
    const maxTurns = mapClaudeLine(JSON.stringify({ type: "result", subtype: "error_max_turns", is_error: false, num_turns: 5 }));
    expect(maxTurns).toMatchObject({ level: "error", line: "✗ result: claude stopped: error_max_turns (5 turns)" });
    const long = mapClaudeLine(JSON.stringify({ type: "assistant", message: { content: [{ type: "tool_use", name: "Write", input: { content: "x".repeat(5000) } }] } }));
    expect(long.line.length).toBeLessThan(400);
    expect(long.line).toMatch(/more chars\)$/);
    expect(mapClaudeLine("not json")).toEqual({ level: "info", line: "not json", kind: "other" });
    expect(mapClaudeLine('{"type":"stream_event"}')).toEqual({ level: "info", line: "", kind: "other" });
    expect(mapClaudeLine("[1,2]")).toMatchObject({ kind: "other", line: "[1,2]" });
  });
});

describe("the mapper process (map-cli.mjs)", () => {
  const run = (input: string) => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), "shipyard-claude-map-")), "out");
    execFileSync("touch", [out]);
    const p = spawnSync(process.execPath, [CLAUDE_MAPPER_PATH], { input, encoding: "utf8", env: { ...process.env, SHIPYARD_OUTPUT: out } });
    return { ...p, outputs: readFileSync(out, "utf8") };
  };

  it("prints readable lines, records usage and exits 0 on success", () => {
    const p = run(recorded);
    expect(p.status).toBe(0);
    expect(p.stdout).toContain('● tool_use Bash {"command":"bash test.sh","description":"Run the tests"}');
    expect(p.stdout).toContain("✓ result: Added mul() with a test. (3 turns, $0.01, 1200 in / 300 out tokens, 5000 cached)");
    expect(p.outputs).toContain("usage_input_tokens=1200\nusage_output_tokens=300\n");
    expect(p.outputs).toContain("cost_usd=0.01\n");
  });

  it("exits 1 on an error result or a stream without one", () => {
    const p = run('{"type":"result","subtype":"success","is_error":true,"result":"Credit balance is too low"}\n');
    expect(p.status).toBe(1);
    expect(p.stderr).toContain("✗ result: Credit balance is too low");
    const none = run('{"type":"system","subtype":"init"}\n');
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("claude ended without a result");
  });
});
