// The runner-side entry of the built-in agent (job executor `builtin`, workflow `agent:` steps): runs the agent
// in the current directory on the prompt in $SHIPYARD_PROMPT_FILE, prints each event as an agent event marker
// (../events.ts; the failure reason as a plain line on stderr), writes its final text, turns and usage to
// $SHIPYARD_OUTPUT, and exits 1 unless the agent succeeded. Its model calls go through the Shipyard server when
// the runner gave it a task token ($SHIPYARD_TASK_TOKEN, $SHIPYARD_SERVER_URL); without one (run by hand) it
// resolves $SHIPYARD_MODEL itself.
import { appendFileSync, readFileSync } from "node:fs";
import { agentEventLine } from "../events.ts";
import { serverAddressFrom } from "../server-call.ts";
import { remoteModel, resolveModel } from "../llm/index.ts";
import { formatOutputFile } from "../../workflows/outputs.ts";
import { runBuiltinAgent, type AgentEvent } from "./agent.ts";

/** The marker line for an agent event. */
export function formatAgentEvent(e: AgentEvent): string {
  if (e.type === "text") return e.text.trim() ? agentEventLine({ type: "agent_message", text: e.text.trim() }) : "";
  if (e.type === "tool_call") return agentEventLine({ type: "tool_call", callId: e.callId, tool: e.tool, args: e.args ?? {} });
  return agentEventLine({ type: "tool_result", callId: e.callId, tool: e.tool, ok: e.ok, summary: e.summary });
}

/** Run the agent as the environment describes; resolves to the process exit code. */
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
  const server = serverAddressFrom(env);
  let model;
  try {
    model =
      env.SHIPYARD_TASK_TOKEN && server
        ? remoteModel({ server, token: env.SHIPYARD_TASK_TOKEN, label: spec })
        : resolveModel(spec, { env, cassettesDir: env.SHIPYARD_CASSETTES || undefined });
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
    const { inputTokens, outputTokens } = result.usage;
    appendFileSync(
      env.SHIPYARD_OUTPUT,
      formatOutputFile({ text: result.text, turns: String(result.turns), usage_input_tokens: String(inputTokens), usage_output_tokens: String(outputTokens) }),
    );
  }
  if (result.status === "succeeded") {
    out.write(`✓ done (${result.turns} turns, ${result.usage.inputTokens} in / ${result.usage.outputTokens} out tokens)\n`);
    return 0;
  }
  err.write(`✗ agent ${result.status}: ${result.reason ?? "unknown reason"}\n`);
  return 1;
}
