import { MAX_RECOVERY_ATTEMPTS } from "../engine/queues.ts";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import { generateText, jsonSchema, Output, type JSONSchema7 } from "ai";
import { BudgetExceededError, meteredModel, resolveModel } from "../agents/llm/index.ts";
import { appendEventsNow } from "../events/store.ts";
import type { LocalWorkflows } from "../engine/control.ts";
import type { EngineResources } from "../engine/resources.ts";
import { isServerTaskOf, loadServerTask, type ServerTaskOf } from "../tasks/store.ts";
import type { RunMessage, TaskResult } from "../tasks/messages.ts";


/** Model calls in flight in this process, by task id, so a cancel can abort them (see abortServerTask). */
const inFlight = new Map<string, AbortController>();

/** Abort the model call of a server-run task if this process is making it; true when it was. */
export function abortServerTask(taskId: string): boolean {
  const call = inFlight.get(taskId);
  call?.abort();
  return call !== undefined;
}

/** An object answer as step outputs: strings as they are, anything else JSON-encoded. */
export function outputsOf(value: unknown): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { value: JSON.stringify(value) };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/**
 * Call the model once for an llm task. Never throws: whatever goes wrong (unknown provider, missing key, a
 * cassette miss, a budget, a bad answer, the step's timeout) becomes a failed result with the error's message.
 * Usage is recorded by the metering middleware, against the run and its workspace.
 */
async function callModel(res: EngineResources, runId: string, taskId: string, task: ServerTaskOf<"llm">): Promise<TaskResult> {
  const { pool, log, secrets, cassettesDir, llmMetrics } = res;
  const { spec } = task;
  const started = performance.now();
  const base = { taskId, dispatch: task.dispatch, exitCode: null };
  const timeout = spec.timeoutMs !== undefined ? AbortSignal.timeout(spec.timeoutMs) : undefined;
  const cancel = new AbortController();
  inFlight.set(taskId, cancel);
  const signal = timeout ? AbortSignal.any([timeout, cancel.signal]) : cancel.signal;
  try {
    const resolved = resolveModel(spec.model, { cassettesDir, getSecret: (name) => secrets.get(task.workspace_id, name) });
    const model = meteredModel(resolved, { db: pool, workspaceId: task.workspace_id, operationId: runId, metrics: llmMetrics });
    let outputs: Record<string, string>;
    if (spec.schema !== undefined) {
      const schema = jsonSchema<Record<string, unknown>>(spec.schema as JSONSchema7);
      const result = await generateText({ model, prompt: spec.prompt, output: Output.object({ schema }), abortSignal: signal });
      outputs = outputsOf(result.output);
    } else {
      const result = await generateText({ model, prompt: spec.prompt, abortSignal: signal });
      outputs = { text: result.text };
    }
    return { ...base, status: "succeeded", outputs, durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    const durationMs = Math.round(performance.now() - started);
    if (cancel.signal.aborted) return { ...base, status: "cancelled", outputs: {}, error: "cancelled", durationMs };
    if (timeout?.aborted) return { ...base, status: "timed_out", outputs: {}, error: `timed out after ${spec.timeoutMs} ms`, durationMs };
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof BudgetExceededError) {
      // Refused before reaching the provider: record which budget on the run's log (once per dispatch, even
      // when this step is re-executed); the step then fails with the error's own message.
      await appendEventsNow(pool, runId, [
        {
          type: "budget_exceeded",
          payload: {
            stepId: task.step_id ?? null,
            taskId,
            attempt: task.attempt ?? null,
            model: spec.model,
            budget: err.budget,
            spentUsd: err.spentUsd,
            limitUsd: err.limitUsd,
            estimatedCostUsd: err.estimatedCostUsd,
          },
          dedupeKey: `budget_exceeded:${taskId}:${task.dispatch}`,
        },
      ]).catch((e: Error) => log.warn({ err: e.message, runId, taskId }, "could not append budget_exceeded event"));
    }
    return { ...base, status: "failed", outputs: {}, error: message, durationMs };
  } finally {
    inFlight.delete(taskId);
  }
}

/** The DBOS name of an llm step's attempt (its workflow id is the task's). */
export const LLM_TASK_WORKFLOW = "shipyard.llm-task";

/**
 * Register one attempt of an `llm` step, run by the server (workflow id = task id, so starting it twice is
 * harmless): read the task, wait out a retry's backoff, call the model in one checkpointed step, and send the
 * run workflow the same `result` message a runner's report becomes.
 */
export function registerLlmTaskWorkflow(res: EngineResources, workflows: LocalWorkflows): void {
  async function llmTaskImpl(runId: string, taskId: string): Promise<void> {
    const task = await DBOS.runStep(() => loadServerTask(res.pool, taskId), { name: "llm:load", ...TRANSIENT_RETRIES });
    // Cancelled (or already settled) before it ran: nobody waits for a result.
    if (!task || task.status !== "assigned" || !isServerTaskOf(task, "llm")) return;
    if (task.spec.delayMs) await DBOS.sleep(task.spec.delayMs);
    const result = await DBOS.runStep(() => callModel(res, runId, taskId, task), { name: "llm:call" });
    const msg: RunMessage = { type: "result", ...result };
    await res.workflows.send(runId, msg, `result:${taskId}:${task.dispatch}`);
  }
  workflows.register(LLM_TASK_WORKFLOW, llmTaskImpl, { maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });
}
