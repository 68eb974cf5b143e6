// The `agent:` step kind of the YAML language: its fields as written, the normalized call, and which fields each
// executor needs or does not use.
import { z } from "zod";
import { MODEL_NAME } from "../models/model-spec.ts";
import { AGENT_EXECUTORS, MAX_AGENT_BUDGET_USD, MAX_AGENT_TURNS } from "../models/executors.ts";
import { fail, modelSpecProblem } from "./refine.ts";

export { AGENT_EXECUTORS } from "../models/executors.ts";

/** What an `agent` step runs: an executor on a templated prompt in the run's workspace, within turns and budget. */
export interface AgentCall {
  executor: (typeof AGENT_EXECUTORS)[number];
  /** `provider:model` for builtin (default: the workspace's default model); Claude Code's own model name or alias for claude-code. */
  model?: string;
  prompt: string;
  /** The command of the `command` executor (it reads the prompt from $SHIPYARD_PROMPT_FILE). */
  command?: string;
  maxTurns?: number;
  budgetUsd?: number;
}

/** Fields of `agent:`. */
export const agentShape = {
  executor: z.enum(AGENT_EXECUTORS, { error: `must be one of ${AGENT_EXECUTORS.join(", ")}` }).optional(),
  model: z.string().min(1, { error: "must not be empty" }).optional(),
  prompt: z.string().min(1, { error: "must not be empty" }),
  command: z.string().min(1, { error: "must not be empty" }).optional(),
  max_turns: z.number().int({ error: "must be a whole number" }).min(1).max(MAX_AGENT_TURNS).optional(),
  budget_usd: z.number().positive({ error: "must be more than 0" }).max(MAX_AGENT_BUDGET_USD).optional(),
};

/** The executor-specific rules of `agent:`: which executor needs which fields. */
export function checkAgent(agent: z.infer<z.ZodObject<typeof agentShape>>, ctx: z.RefinementCtx): void {
  const executor = agent.executor ?? "builtin";
  const at = (key: string) => ["agent", key];
  // Without a model the builtin agent uses the workspace's default model (checked when the step starts).
  const problem = executor === "builtin" && agent.model !== undefined ? modelSpecProblem(agent.model) : null;
  if (problem) fail(ctx, "bad_value", `model ${JSON.stringify(agent.model)} ${problem}`, at("model"));
  if (executor === "claude-code" && agent.model !== undefined && !MODEL_NAME.test(agent.model)) {
    fail(ctx, "bad_value", `model ${JSON.stringify(agent.model)} must be a Claude Code model name or alias (letters, digits and . _ : / @ [ ] -), e.g. sonnet`, at("model"));
  }
  if (executor === "command") {
    if (agent.command === undefined) fail(ctx, "missing_field", "the command executor needs `command`: the agent's command line, which reads the prompt from $SHIPYARD_PROMPT_FILE", ["agent"]);
    for (const key of ["model", "max_turns", "budget_usd"] as const) {
      if (agent[key] !== undefined) fail(ctx, "bad_value", `the command executor does not use ${key}: it runs your command as it is`, at(key));
    }
  } else if (agent.command !== undefined) {
    fail(ctx, "bad_value", `command is for the command executor; the ${executor} executor takes a prompt`, at("command"));
  }
}
