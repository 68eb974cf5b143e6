import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LanguageModel } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import { CassetteMissError, resolveModel, type CassetteFile, type CassetteResponse } from "../llm/index.ts";
import { runBuiltinAgent, type AgentEvent, type BuiltinAgentResult } from "./agent.ts";

const temps: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of temps.splice(0)) await fs.rm(dir, { recursive: true, force: true });
});

/** A hand-written model answer: optional text and tool calls (`[name, args]`). */
function answer(text: string | null, ...calls: [string, Record<string, unknown>][]): CassetteResponse {
  const content: unknown[] = [];
  if (text) content.push({ type: "text", text });
  calls.forEach(([toolName, args], i) => content.push({ type: "tool-call", toolCallId: `call_${toolName}_${i}`, toolName, input: JSON.stringify(args) }));
  return { content, finishReason: calls.length ? "tool-calls" : "stop", usage: { inputTokens: 100, outputTokens: 10 } };
}

interface Run {
  result: BuiltinAgentResult;
  events: AgentEvent[];
  workspace: string;
}

/**
 * Plays the hand-written `script` (one answer per model call) through the replay provider. Each request's
 * fingerprint is learned the documented way: run against the cassette, take the fingerprint from the
 * CassetteMissError, add the next scripted answer under it, and run again (in a fresh workspace) until the
 * run no longer misses. The result is a cassette in a temp dir answering exactly the agent's requests.
 */
async function playScript(script: CassetteResponse[], run: (model: LanguageModel) => Promise<Run>): Promise<Run> {
  const dir = await tempDir("builtin-cassettes-");
  const file = path.join(dir, "builtin-script.json");
  const cassette: CassetteFile = { version: 1, model: "anthropic:claude-sonnet-4-5", entries: {} };
  for (let i = 0; ; i++) {
    await fs.writeFile(file, JSON.stringify(cassette, null, 2));
    const r = await run(resolveModel("replay:builtin-script", { cassettesDir: dir }));
    if (!(r.result.error instanceof CassetteMissError)) {
      expect(i, "every scripted answer is used").toBe(script.length);
      return r;
    }
    expect(r.result.status).toBe("failed");
    expect(r.result.reason).toContain(r.result.error.fingerprint);
    const next = script[i];
    if (!next) throw new Error(`the agent asked for answer ${i + 1} but the script has ${script.length}`);
    cassette.entries[r.result.error.fingerprint] = { response: next };
  }
}

/** A fresh workspace from `files`, and an agent run in it. */
function inWorkspace(files: Record<string, string>, opts: { prompt: string; maxTurns?: number; loopLimit?: number }) {
  return async (model: LanguageModel): Promise<Run> => {
    const workspace = await tempDir("builtin-agent-ws-");
    for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(workspace, name), content);
    const events: AgentEvent[] = [];
    const result = await runBuiltinAgent({ model, workspace, ...opts, onEvent: (e) => events.push(e) });
    return { result, events, workspace };
  };
}

const calls = (events: AgentEvent[]) => events.filter((e) => e.type === "tool_call").map((e) => [e.tool, e.args]);
const results = (events: AgentEvent[]) => events.filter((e) => e.type === "tool_result").map((e) => [e.tool, e.ok]);

describe("runBuiltinAgent", () => {
  it("reads a failing test, fixes the source, runs the test and finishes", async () => {
    const files = {
      "math.mjs": "export const add = (a, b) => a - b;\n",
      "test.mjs": [
        'import { add } from "./math.mjs";',
        "if (add(2, 3) !== 5) { console.log(`FAIL add(2, 3) = ${add(2, 3)}`); process.exit(1); }",
        'console.log("PASS");',
        "",
      ].join("\n"),
    };
    const script = [
      answer("Let me look at the test.", ["read_file", { path: "test.mjs" }], ["read_file", { path: "../secret.txt" }]),
      answer(null, ["run_command", { command: "node test.mjs" }]),
      answer(null, ["read_file", { path: "math.mjs" }]),
      answer("add() subtracts; fixing it.", ["edit_file", { path: "math.mjs", old: "a - b", new: "a + b" }]),
      answer(null, ["run_command", { command: "node test.mjs" }]),
      answer("Fixed add() in math.mjs: it subtracted instead of adding. `node test.mjs` passes."),
    ];
    // loopLimit 2: the second `node test.mjs` is allowed only because the edit in between changed the files.
    const { result, events, workspace } = await playScript(script, inWorkspace(files, { prompt: "Make node test.mjs pass.", loopLimit: 2 }));

    expect(result).toEqual({
      status: "succeeded",
      turns: 6,
      text: "Fixed add() in math.mjs: it subtracted instead of adding. `node test.mjs` passes.",
      usage: { inputTokens: 600, outputTokens: 60, totalTokens: 660 },
    });
    expect(await fs.readFile(path.join(workspace, "math.mjs"), "utf8")).toBe("export const add = (a, b) => a + b;\n");
    expect(calls(events)).toEqual([
      ["read_file", { path: "test.mjs" }],
      ["read_file", { path: "../secret.txt" }],
      ["run_command", { command: "node test.mjs" }],
      ["read_file", { path: "math.mjs" }],
      ["edit_file", { path: "math.mjs", old: "a - b", new: "a + b" }],
      ["run_command", { command: "node test.mjs" }],
    ]);
    expect(results(events)).toEqual([
      ["read_file", true],
      ["read_file", false], // refused, and the agent went on
      ["run_command", false],
      ["read_file", true],
      ["edit_file", true],
      ["run_command", true],
    ]);
    const summaries = events.flatMap((e) => (e.type === "tool_result" ? [e.summary] : []));
    expect(summaries[1]).toBe('path "../secret.txt" is outside the workspace');
    expect(summaries[2]).toBe("exit code 1 FAIL add(2, 3) = -1");
    expect(summaries[5]).toBe("exit code 0 PASS");
    expect(events.filter((e) => e.type === "text").map((e) => e.text)).toEqual([
      "Let me look at the test.",
      "add() subtracts; fixing it.",
      "Fixed add() in math.mjs: it subtracted instead of adding. `node test.mjs` passes.",
    ]);
    // Events come in order: each call, then its result.
    expect(events.map((e) => e.type).slice(0, 5)).toEqual(["text", "tool_call", "tool_result", "tool_call", "tool_result"]);
  });

  it("stops a model that repeats the same call (loop detection)", async () => {
    const script = [1, 2, 3].map(() => answer(null, ["read_file", { path: "a.txt" }]));
    const { result, events } = await playScript(script, inWorkspace({ "a.txt": "A\n" }, { prompt: "Read a.txt." }));
    expect(result.status).toBe("stopped");
    expect(result.reason).toBe("loop: read_file called 3 times with the same arguments");
    expect(result.turns).toBe(3);
    expect(results(events)).toEqual([
      ["read_file", true],
      ["read_file", true],
      ["read_file", false], // the third is refused, not run
    ]);
    expect(events.at(-1)).toMatchObject({ type: "tool_result", tool: "read_file", ok: false, summary: "refused: loop: read_file called 3 times with the same arguments" });
  });

  it("stops at maxTurns", async () => {
    const script = ["a.txt", "b.txt", "c.txt"].map((p) => answer(null, ["read_file", { path: p }]));
    const files = { "a.txt": "A", "b.txt": "B", "c.txt": "C", "d.txt": "D" };
    const { result, events } = await playScript(script, inWorkspace(files, { prompt: "Read everything.", maxTurns: 3 }));
    expect(result).toMatchObject({ status: "stopped", reason: "max_turns", turns: 3, usage: { inputTokens: 300, outputTokens: 30 } });
    expect(calls(events)).toEqual([["read_file", { path: "a.txt" }], ["read_file", { path: "b.txt" }], ["read_file", { path: "c.txt" }]]);
  });

  it("fails with the model's error, and stops at once when aborted", async () => {
    const dir = await tempDir("builtin-cassettes-");
    const model = resolveModel("replay:none", { cassettesDir: dir });
    const workspace = await tempDir("builtin-agent-ws-");
    const failed = await runBuiltinAgent({ model, workspace, prompt: "hi" });
    expect(failed).toMatchObject({ status: "failed", turns: 1 });
    expect(failed.error).toBeInstanceOf(CassetteMissError);
    const stopped = await runBuiltinAgent({ model, workspace, prompt: "hi", signal: AbortSignal.abort() });
    expect(stopped).toMatchObject({ status: "stopped", reason: "aborted", turns: 0 });
  });
});
