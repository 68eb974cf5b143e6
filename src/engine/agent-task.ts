// Coding agents as runner tasks, shared by agent jobs and `agent:` workflow steps: the script that runs the
// executor in the task's workspace, the model the task may call through the server (its usage recorded there)
// and the workspace secrets its environment gets.
import { BUILTIN_ENTRY, CLAUDE_MAPPER_ENTRY } from "../agents/entry-points.ts";
import { builtinAgentScript, claudeCodeAgentScript, commandAgentScript } from "../git/scripts.ts";
import type { AgentCall } from "../workflows/index.ts";
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

/** The task of an `agent:` workflow step (its secrets in the spec, so a retry keeps them), prompt and command interpolated by `expand`. */
export function agentStepTask(call: AgentCall, expand: (text: string) => string): TaskSpec {
  const { spec, secretEnv } = agentStepParts(call, expand);
  return { ...spec, secretEnv };
}

function agentStepParts(call: AgentCall, expand: (text: string) => string): { spec: TaskSpec; secretEnv: Record<string, string> } {
  const prompt = expand(call.prompt);
  const limits = { ...(call.maxTurns !== undefined ? { maxTurns: call.maxTurns } : {}), ...(call.budgetUsd !== undefined ? { budgetUsd: call.budgetUsd } : {}) };
  if (call.executor === "command") return agentTask({ type: "command", command: expand(call.command ?? "") }, prompt);
  if (call.executor === "claude-code") return agentTask({ type: "claude-code", ...(call.model ? { model: call.model } : {}), ...limits }, prompt);
  return agentTask({ type: "builtin", model: call.model ?? "", ...limits }, prompt);
}
