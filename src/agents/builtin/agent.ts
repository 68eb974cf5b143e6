// The built-in coding agent: a manual tool loop over any AI SDK model. Each turn is one model call; the tool
// calls it asks for are checked (loop detection) and run here, their results go back as a tool message. The run
// ends when the model answers without tool calls (succeeded), at the turn limit, on a loop, on abort or when a
// budget refuses a call (stopped), or when the model call fails (failed).
import { generateText, type LanguageModel, type ModelMessage } from "ai";
import { BudgetExceededError } from "../llm/errors.ts";
import { canonical } from "../llm/fingerprint.ts";
import { executeTool, MUTATING, toolDefinitions, type ToolName } from "./tools.ts";

/** What the agent reports while it works. */
export type AgentEvent =
  | { type: "text"; text: string }
  | { type: "tool_call"; callId: string; tool: string; args: unknown }
  | { type: "tool_result"; callId: string; tool: string; ok: boolean; summary: string };

export interface BuiltinAgentOptions {
  model: LanguageModel;
  /** The directory the agent works in; every tool is confined to it. */
  workspace: string;
  prompt: string;
  /** Model calls at most; default 30. */
  maxTurns?: number;
  /** The same tool call (name and arguments) this many times without a file change in between stops the run; default 3. */
  loopLimit?: number;
  /** run_command's time limit; default 60 s. */
  commandTimeoutMs?: number;
  onEvent?: (e: AgentEvent) => void;
  signal?: AbortSignal;
  /** Replaces the default system prompt. */
  system?: string;
}

export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export interface BuiltinAgentResult {
  status: "succeeded" | "stopped" | "failed";
  /** Why the run stopped or failed: `max_turns`, `loop: ...`, `aborted`, or the model error's message. */
  reason?: string;
  /** Model calls made. */
  turns: number;
  /** The model's last text. */
  text: string;
  usage: AgentUsage;
  /** The model error behind a failed run. */
  error?: unknown;
}

export const DEFAULT_SYSTEM = [
  "You are a coding agent working in a software repository (your workspace).",
  "Use the tools to inspect and change files and to run commands; all paths are relative to the workspace root.",
  "Make the smallest change that does the job, run the relevant tests, and finish with a short summary of what you changed.",
].join(" ");

const SUMMARY_CHARS = 200;

/** Run the agent until it is done, stopped or failed. Never throws for model or tool errors. */
export async function runBuiltinAgent(opts: BuiltinAgentOptions): Promise<BuiltinAgentResult> {
  const maxTurns = opts.maxTurns ?? 30;
  const loopLimit = opts.loopLimit ?? 3;
  const emit = opts.onEvent ?? (() => undefined);
  const ctx = { workspace: opts.workspace, commandTimeoutMs: opts.commandTimeoutMs ?? 60_000, signal: opts.signal };
  const messages: ModelMessage[] = [{ role: "user", content: opts.prompt }];
  const usage: AgentUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  const seen = new Map<string, number>();
  let turns = 0;
  let text = "";
  const end = (status: BuiltinAgentResult["status"], reason?: string, error?: unknown): BuiltinAgentResult => ({
    status,
    ...(reason !== undefined ? { reason } : {}),
    turns,
    text,
    usage,
    ...(error !== undefined ? { error } : {}),
  });

  for (;;) {
    if (opts.signal?.aborted) return end("stopped", "aborted");
    if (turns >= maxTurns) return end("stopped", "max_turns");
    turns++;
    let result;
    try {
      result = await generateText({
        model: opts.model,
        system: opts.system ?? DEFAULT_SYSTEM,
        messages,
        tools: toolDefinitions,
        abortSignal: opts.signal,
      });
    } catch (err) {
      if (opts.signal?.aborted) return end("stopped", "aborted");
      // A budget refused the call before it reached the provider: the run stops, it did not break.
      if (err instanceof BudgetExceededError) return end("stopped", `budget_exceeded: ${err.message}`, err);
      return end("failed", err instanceof Error ? err.message : String(err), err);
    }
    usage.inputTokens += result.usage.inputTokens ?? 0;
    usage.outputTokens += result.usage.outputTokens ?? 0;
    usage.totalTokens += result.usage.totalTokens ?? (result.usage.inputTokens ?? 0) + (result.usage.outputTokens ?? 0);
    if (result.text) {
      text = result.text;
      emit({ type: "text", text: result.text });
    }
    // Only the assistant's message: tool results (including the SDK's own for invalid calls) are ours to write.
    messages.push(...result.response.messages.filter((m) => m.role === "assistant"));
    if (result.toolCalls.length === 0) return end("succeeded");

    const results: Extract<ModelMessage, { role: "tool" }>["content"] = [];
    for (const call of result.toolCalls) {
      const { toolCallId, toolName, input } = call;
      emit({ type: "tool_call", callId: toolCallId, tool: toolName, args: input });
      const reply = (ok: boolean, value: string) => {
        emit({ type: "tool_result", callId: toolCallId, tool: toolName, ok, summary: summarize(value) });
        results.push({ type: "tool-result", toolCallId, toolName, output: ok ? { type: "text", value } : { type: "error-text", value } });
      };
      const key = `${toolName} ${JSON.stringify(canonical(input))}`;
      const count = (seen.get(key) ?? 0) + 1;
      seen.set(key, count);
      if (count >= loopLimit) {
        const reason = `loop: ${toolName} called ${count} times with the same arguments`;
        reply(false, `refused: ${reason}`);
        return end("stopped", reason);
      }
      if ("invalid" in call && call.invalid) {
        const why = call.error instanceof Error ? call.error.message : String(call.error);
        reply(false, `invalid call of ${toolName}: ${why}`);
        continue;
      }
      try {
        const r = await executeTool(ctx, toolName as ToolName, input as Record<string, unknown>);
        reply(r.ok, r.text);
        if (r.ok && MUTATING.has(toolName)) {
          // The files changed, so repeating an earlier call (re-reading, re-running tests) is progress, not a loop.
          for (const k of seen.keys()) if (k !== key) seen.delete(k);
        }
      } catch (err) {
        reply(false, err instanceof Error ? err.message : String(err));
      }
    }
    messages.push({ role: "tool", content: results });
  }
}

function summarize(value: string): string {
  const flat = value.replace(/\s+/g, " ").trim();
  return flat.length > SUMMARY_CHARS ? `${flat.slice(0, SUMMARY_CHARS)}…` : flat;
}
