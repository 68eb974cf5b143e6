import { MAX_RECOVERY_ATTEMPTS } from "../engine/queues.ts";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { isTerminal } from "../domain/errors.ts";
import type { EngineResources } from "../engine/resources.ts";
import type { LocalWorkflows } from "../engine/control.ts";
import { LLM_TASK_WORKFLOW } from "../models/llm-task.ts";
import { advanceRun, type AdvanceOutcome } from "./advance.ts";
import { emitRunFinished } from "./webhook.ts";
import { RUN_TOPIC, type RunMessage } from "../tasks/messages.ts";
import type { ServerTaskKind } from "../tasks/spec.ts";
import type { ServerTaskRef } from "../tasks/store.ts";
import { HTTP_TASK_WORKFLOW } from "./http-task.ts";
import { WAIT_TASK_WORKFLOW } from "./wait-task.ts";

/** The DBOS name of the run workflow (its id is the run's). */
export const RUN_WORKFLOW = "shipyard.run";

/** How long a run waits for a message before re-checking its tasks for runners that disappeared. */
const WATCHDOG_SECONDS = 30;

/** The child workflow that runs a server-run task of each kind. */
const SERVER_TASK_WORKFLOWS: Record<ServerTaskKind, string> = { llm: LLM_TASK_WORKFLOW, http: HTTP_TASK_WORKFLOW, wait: WAIT_TASK_WORKFLOW };

/** A server task as an advance returned it; checkpoints written before http and wait steps hold bare llm task ids. */
const serverTaskRef = (t: ServerTaskRef | string): ServerTaskRef => (typeof t === "string" ? { id: t, kind: "llm" } : t);

const ADVANCE_ATTEMPTS = 5;
const ADVANCE_RETRY_MS = 500;

/**
 * One checkpointed `advance`. It retries failures that are not terminal itself (5 attempts, 0.5 s doubling, as DBOS's
 * step retries would) rather than with `retriesAllowed`, which costs DBOS an extra workflow-status query on
 * every step; advanceRun is idempotent, so re-running a failed attempt is safe either way.
 */
const advanceStep = (res: EngineResources, runId: string, msg: RunMessage) =>
  DBOS.runStep(
    async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await advanceRun(res.pool, runId, msg, res.handoff);
        } catch (err) {
          if (attempt >= ADVANCE_ATTEMPTS || isTerminal(err)) throw err;
          res.log.warn({ runId, attempt, err: (err as Error).message }, "advance failed; retrying");
          await new Promise((r) => setTimeout(r, ADVANCE_RETRY_MS * 2 ** (attempt - 1)));
        }
      }
    },
    { name: `advance:${msg.type}` },
  );

/**
 * Register the durable run of a YAML workflow: a loop of (advance the stored state, wait for the next message).
 * Task results, lost runners and cancellation arrive as DBOS messages, so the wait survives restarts and
 * every decision is checkpointed; after a crash DBOS replays the recorded steps and resumes the wait.
 */
export function registerRunWorkflow(res: EngineResources, workflows: LocalWorkflows): void {
  /** `startedOutside`: whoever started the workflow made the run's first advance (see createRun); absent in workflows started before it existed. */
  async function runWorkflowImpl(runId: string, startedOutside?: boolean): Promise<AdvanceOutcome> {
    let msg: RunMessage | null = startedOutside === true ? null : { type: "start" };
    for (;;) {
      if (msg) {
        const outcome = await advanceStep(res, runId, msg);
        if (outcome.finished) {
          await emitRunFinished(res, runId);
          return outcome;
        }
        // Steps the server runs itself (llm, http, wait): one child workflow per task, its id the task's, so this is idempotent.
        for (const t of (outcome.serverTasks ?? []).map(serverTaskRef)) await workflows.start(SERVER_TASK_WORKFLOWS[t.kind], { workflowId: t.id }, runId, t.id);
      }
      msg = (await DBOS.recv<RunMessage>(RUN_TOPIC, WATCHDOG_SECONDS)) ?? { type: "tick" };
    }
  }
  workflows.register(RUN_WORKFLOW, runWorkflowImpl, { maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });
}
