// A replay cassette for the built-in agent, built the documented way: run the agent, take the fingerprint from
// its CassetteMissError, add the next hand-written answer under it, run again, until every answer is used.
import { promises as fs } from "node:fs";
import path from "node:path";
import { runBuiltinAgent, type BuiltinAgentResult, type ToolName } from "../../src/agents/builtin/index.ts";
import { CassetteMissError, resolveModel, type CassetteFile, type CassetteResponse } from "../../src/agents/llm/index.ts";

/** `count` tool calls alternating `read_file small.txt` and `list_files`. */
export function benchToolCalls(count: number): [ToolName, Record<string, unknown>][] {
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? ["read_file", { path: "small.txt" }] : ["list_files", {}]));
}

/** The files of the workspace the cassette is recorded in (and that replays must reproduce). */
export const BENCH_WORKSPACE_FILES: Record<string, string> = {
  "small.txt": "a small file\nof three lines\nfor read_file\n",
  ...Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`src/f${i}.ts`, `export const x${i} = ${i};\n`])),
};

/** Write BENCH_WORKSPACE_FILES into `dir`. */
export async function writeBenchWorkspace(dir: string): Promise<void> {
  for (const [file, text] of Object.entries(BENCH_WORKSPACE_FILES)) {
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await fs.writeFile(path.join(dir, file), text);
  }
}

const usage = { inputTokens: 100, outputTokens: 10 };

/** The answers: one tool call each, then a final text. */
export function benchAnswers(calls: [ToolName, Record<string, unknown>][]): CassetteResponse[] {
  return [
    ...calls.map(([toolName, args], i): CassetteResponse => ({
      content: [{ type: "tool-call", toolCallId: `call_${i}`, toolName, input: JSON.stringify(args) }],
      finishReason: "tool-calls",
      usage,
    })),
    { content: [{ type: "text", text: "Done." }], finishReason: "stop", usage },
  ];
}

/** Run the agent on `replay:<name>` in `workspace`. */
export function replayAgentRun(cassettesDir: string, name: string, workspace: string, prompt: string): Promise<BuiltinAgentResult> {
  const model = resolveModel(`replay:${name}`, { cassettesDir });
  return runBuiltinAgent({ model, workspace, prompt, maxTurns: 1000, loopLimit: 1000 });
}

/**
 * Add `answers` to cassette `name` in `cassettesDir` for `prompt` in `workspace`; returns the agent runs it took.
 * An agent that changes its workspace needs `prepare`, which restores it before each run.
 */
export async function buildAgentCassette(
  cassettesDir: string,
  name: string,
  workspace: string,
  prompt: string,
  answers: CassetteResponse[],
  prepare: () => Promise<void> = async () => undefined,
): Promise<number> {
  const file = path.join(cassettesDir, `${name}.json`);
  const existing = await fs.readFile(file, "utf8").then((t) => JSON.parse(t) as CassetteFile, () => null);
  const cassette: CassetteFile = existing ?? { version: 1, model: "anthropic:claude-sonnet-4-5", entries: {} };
  for (let i = 0; ; i++) {
    await fs.writeFile(file, JSON.stringify(cassette));
    await prepare();
    const r = await replayAgentRun(cassettesDir, name, workspace, prompt);
    if (!(r.error instanceof CassetteMissError)) {
      if (r.status !== "succeeded") throw new Error(`agent ended ${r.status}: ${r.reason}`);
      return i + 1;
    }
    const next = answers[i];
    if (!next) throw new Error(`the agent asked for answer ${i + 1} of ${answers.length}`);
    cassette.entries[r.error.fingerprint] = { response: next };
  }
}
