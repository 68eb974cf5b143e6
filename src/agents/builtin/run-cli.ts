// The runner-side entry of the `builtin` job executor: resolves $SHIPYARD_MODEL, runs the built-in agent in the
// current directory on the prompt in $SHIPYARD_PROMPT_FILE, prints one readable line per event (stdout; the
// failure reason on stderr), appends turns and usage to $SHIPYARD_OUTPUT, and exits 1 unless the agent succeeded.
import { appendFileSync, readFileSync } from "node:fs";
import { resolveModel } from "../llm/index.ts";
import { runBuiltinAgent, type AgentEvent } from "./agent.ts";

/** One log line for an agent event. */
export function formatAgentEvent(e: AgentEvent): string {
  if (e.type === "text") return e.text.trim();
  if (e.type === "tool_call") return `● ${e.tool} ${JSON.stringify(e.args ?? {})}`;
  return `↳ ${e.ok ? "ok" : "error"}: ${e.summary}`;
}

export async function runBuiltinCli(
  env: NodeJS.ProcessEnv = process.env,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  workspace: string = process.cwd(),
): Promise<number> {
  const spec = env.SHIPYARD_MODEL;
  const promptFile = env.SHIPYARD_PROMPT_FILE;
  if (!spec || !promptFile) {
    err.write("✗ SHIPYARD_MODEL and SHIPYARD_PROMPT_FILE must be set\n");
    return 2;
  }
  const maxTurns = env.SHIPYARD_MAX_TURNS ? Number(env.SHIPYARD_MAX_TURNS) : undefined;
  let model;
  try {
    model = resolveModel(spec, { env, cassettesDir: env.SHIPYARD_CASSETTES || undefined });
  } catch (e) {
    err.write(`✗ ${(e as Error).message}\n`);
    return 1;
  }
  const prompt = readFileSync(promptFile, "utf8");
  const result = await runBuiltinAgent({
    model,
    workspace,
    prompt,
    ...(maxTurns !== undefined ? { maxTurns } : {}),
    onEvent: (e) => {
      const line = formatAgentEvent(e);
      if (line) out.write(`${line}\n`);
    },
  });
  if (env.SHIPYARD_OUTPUT) {
    appendFileSync(
      env.SHIPYARD_OUTPUT,
      `turns=${result.turns}\nusage_input_tokens=${result.usage.inputTokens}\nusage_output_tokens=${result.usage.outputTokens}\n`,
    );
  }
  if (result.status === "succeeded") {
    out.write(`✓ done (${result.turns} turns, ${result.usage.inputTokens} in / ${result.usage.outputTokens} out tokens)\n`);
    return 0;
  }
  err.write(`✗ agent ${result.status}: ${result.reason ?? "unknown reason"}\n`);
  return 1;
}
