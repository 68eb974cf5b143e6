// Coding agents as runner tasks, shared by agent jobs and `agent:` workflow steps: the script that runs the
// executor in the task's workspace, the model the task may call through the server (its usage recorded there)
// and the workspace secrets its environment gets.
import { BUILTIN_ENTRY, CLAUDE_MAPPER_ENTRY } from "../agents/entry-points.ts";
import { builtinAgentScript, claudeCodeAgentScript, commandAgentScript } from "../git/scripts.ts";
import type { AgentCall } from "../workflows/index.ts";
import type { Executor } from "../jobs/schemas.ts";
import type { TaskSpec } from "../tasks/spec.ts";

type JobAgent = Exclude<Executor, { type: "patch" }>;

/**
 * An agent executor as a task is made from it: a job's (the jobs' `patch` executor is not an agent and is
 * handled by the job workflow), its builtin agent's model decided (its own, or a default).
 */
export type AgentExecutor = Exclude<JobAgent, { type: "builtin" }> | (Extract<JobAgent, { type: "builtin" }> & { model: string });

/** The task that runs `executor` on `prompt`; `secretEnv` names the workspace secrets its environment gets. */
export function agentTask(executor: AgentExecutor, prompt: string): TaskSpec {
  const env = { SHIPYARD_PROMPT: prompt };
  const budget = (usd: number | undefined) => (usd !== undefined ? { budgetUsd: usd } : {});
  if (executor.type === "builtin") {
    return {
      command: builtinAgentScript({ entry: BUILTIN_ENTRY, model: executor.model, maxTurns: executor.maxTurns }),
      env,
      modelAccess: { model: executor.model, ...budget(executor.budgetUsd) },
    };
  }
  if (executor.type === "claude-code") {
    const { model, maxTurns, budgetUsd } = executor;
    return {
      command: claudeCodeAgentScript({ mapper: CLAUDE_MAPPER_ENTRY, model, maxTurns, budgetUsd }),
      env,
      // Claude Code calls Anthropic itself; its token lets the mapper report the run's usage, and its budget
      // becomes the cap the server passes when the task is sent (SHIPYARD_BUDGET_USD).
      modelAccess: { model: `anthropic:${model ?? "claude-code"}`, ...budget(budgetUsd) },
      // The workspace's key, when it has one (else, unsandboxed only, the login of the runner's user).
      secretEnv: { ANTHROPIC_API_KEY: "ANTHROPIC_API_KEY" },
    };
  }
  return { command: commandAgentScript(executor.command), env };
}

/** The task of an `agent:` workflow step whose model is `model` (the step's or the default), prompt and command interpolated by `expand`. */
export function agentStepTask(call: AgentCall, model: string | undefined, expand: (text: string) => string): TaskSpec {
  const prompt = expand(call.prompt);
  const limits = { ...(call.maxTurns !== undefined ? { maxTurns: call.maxTurns } : {}), ...(call.budgetUsd !== undefined ? { budgetUsd: call.budgetUsd } : {}) };
  if (call.executor === "command") return agentTask({ type: "command", command: expand(call.command ?? "") }, prompt);
  if (call.executor === "claude-code") return agentTask({ type: "claude-code", ...(model ? { model } : {}), ...limits }, prompt);
  if (!model) throw new TypeError("a builtin agent step needs a model");
  return agentTask({ type: "builtin", model, ...limits }, prompt);
}
