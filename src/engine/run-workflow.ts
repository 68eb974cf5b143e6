import { DBOS } from "@dbos-inc/dbos-sdk";
import { advanceRun, type AdvanceOutcome } from "./advance.ts";
import { engineDeps } from "./context.ts";
import { RUN_TOPIC, type RunMessage } from "./messages.ts";

/** How long a run waits for a message before re-checking its tasks for runners that disappeared. */
const WATCHDOG_SECONDS = 30;

const advanceStep = (runId: string, msg: RunMessage) =>
  DBOS.runStep(() => advanceRun(engineDeps().pool, runId, msg), {
    name: `advance:${msg.type}`,
    retriesAllowed: true,
    maxAttempts: 5,
    intervalSeconds: 0.5,
  });

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
    msg = (await DBOS.recv<RunMessage>(RUN_TOPIC, WATCHDOG_SECONDS)) ?? { type: "tick" };
  }
}

export const runWorkflow = DBOS.registerWorkflow(runWorkflowImpl, { name: "shipyard.run" });
