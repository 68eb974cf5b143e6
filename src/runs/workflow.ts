import { MAX_RECOVERY_ATTEMPTS } from "../engine/queues.ts";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { isTerminal } from "../domain/errors.ts";
import { advanceRun, type AdvanceOutcome } from "./advance.ts";
import { engineDeps } from "../engine/context.ts";
import { llmTaskWorkflow } from "../models/llm-task.ts";
import { RUN_TOPIC, type RunMessage } from "../tasks/messages.ts";

/** How long a run waits for a message before re-checking its tasks for runners that disappeared. */
const WATCHDOG_SECONDS = 30;

const ADVANCE_ATTEMPTS = 5;
const ADVANCE_RETRY_MS = 500;

/**
 * One checkpointed `advance`. It retries failures that are not terminal itself (5 attempts, 0.5 s doubling, as DBOS's
 * step retries would) rather than with `retriesAllowed`, which costs DBOS an extra workflow-status query on
 * every step; advanceRun is idempotent, so re-running a failed attempt is safe either way.
 */
const advanceStep = (runId: string, msg: RunMessage) =>
  DBOS.runStep(
    async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await advanceRun(engineDeps().pool, runId, msg);
        } catch (err) {
          if (attempt >= ADVANCE_ATTEMPTS || isTerminal(err)) throw err;
          engineDeps().log.warn({ runId, attempt, err: (err as Error).message }, "advance failed; retrying");
          await new Promise((r) => setTimeout(r, ADVANCE_RETRY_MS * 2 ** (attempt - 1)));
        }
      }
    },
    { name: `advance:${msg.type}` },
  );

/**
 * The durable run of a YAML workflow: a loop of (advance the stored state, wait for the next message).
 * Task results, lost runners and cancellation arrive as DBOS messages, so the wait survives restarts and
 * every decision is checkpointed; after a crash DBOS replays the recorded steps and resumes the wait.
 */
async function runWorkflowImpl(runId: string): Promise<AdvanceOutcome> {
  let msg: RunMessage = { type: "start" };
  for (;;) {
    const outcome = await advanceStep(runId, msg);
    if (outcome.finished) return outcome;
    // Steps the server runs itself (llm): one child workflow per task, its id the task's, so this is idempotent.
    for (const taskId of outcome.serverTasks ?? []) await DBOS.startWorkflow(llmTaskWorkflow, { workflowID: taskId })(runId, taskId);
    msg = (await DBOS.recv<RunMessage>(RUN_TOPIC, WATCHDOG_SECONDS)) ?? { type: "tick" };
  }
}

export const runWorkflow = DBOS.registerWorkflow(runWorkflowImpl, { name: "shipyard.run", maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });
