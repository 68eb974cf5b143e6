// Coding agents as runner tasks, shared by agent jobs and `agent:` workflow steps: the script that runs the
// executor in the task's workspace, the model the task may call through the server (its usage recorded there)
// and the workspace secrets its environment gets.
import { BUILTIN_ENTRY, CLAUDE_MAPPER_ENTRY } from "../agents/entry-points.ts";
import { builtinAgentScript, claudeCodeAgentScript, commandAgentScript } from "../git/scripts.ts";
import type { TaskSpec } from "./dispatch.ts";

/** The agent executors (the jobs' `patch` executor is not an agent and is handled by the job workflow). */
export type AgentExecutor =
  | { type: "builtin"; model: string; maxTurns?: number; budgetUsd?: number }
  | { type: "claude-code"; model?: string; maxTurns?: number; budgetUsd?: number }
  | { type: "command"; command: string };

/** The task that runs `executor` on `prompt`, and the workspace secrets its env takes (name → secret). */
export function agentTask(executor: AgentExecutor, prompt: string): { spec: TaskSpec; secretEnv: Record<string, string> } {
  const env = { SHIPYARD_PROMPT: prompt };
  if (executor.type === "builtin") {
    return {
      spec: {
        command: builtinAgentScript({ entry: BUILTIN_ENTRY, model: executor.model, maxTurns: executor.maxTurns }),
        env,
        modelAccess: { model: executor.model, ...(executor.budgetUsd !== undefined ? { budgetUsd: executor.budgetUsd } : {}) },
      },
      secretEnv: {},
    };
  }
  if (executor.type === "claude-code") {
    const { model, maxTurns, budgetUsd } = executor;
    return {
      spec: {
        command: claudeCodeAgentScript({ mapper: CLAUDE_MAPPER_ENTRY, model, maxTurns, budgetUsd }),
        env,
        // Its token lets the mapper report the run's usage (Claude Code enforces the budget itself).
        modelAccess: { model: `anthropic:${model ?? "claude-code"}`, ...(budgetUsd !== undefined ? { budgetUsd } : {}) },
      },
      // Claude Code calls Anthropic itself: the workspace's key, when it has one (else the runner's sign-in).
      secretEnv: { ANTHROPIC_API_KEY: "ANTHROPIC_API_KEY" },
    };
  }
  return { spec: { command: commandAgentScript(executor.command), env }, secretEnv: {} };
}
