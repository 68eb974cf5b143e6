import { MAX_RECOVERY_ATTEMPTS } from "../engine/queues.ts";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { isTerminal } from "../domain/errors.ts";
import type { EngineResources } from "../engine/resources.ts";
import type { LocalWorkflows, WorkflowControl } from "../engine/control.ts";
import { LLM_TASK_WORKFLOW } from "../models/llm-task.ts";
import { advanceRun, type AdvanceOutcome } from "./advance.ts";
import { emitRunFinished } from "./webhook.ts";
import { RUN_TOPIC, type RunMessage } from "../tasks/messages.ts";
import type { ServerTaskKind } from "../tasks/spec.ts";
import type { ServerTaskRef } from "../tasks/store.ts";
import { HTTP_TASK_WORKFLOW } from "./http-task.ts";
import { WAIT_TASK_WORKFLOW } from "./wait-task.ts";

/** The DBOS name of the run workflow (its id is the run's). */
export const RUN_WORKFLOW = "shipyard.run.2";

/**
 * The run workflow before results woke it instead of arriving as messages (a DBOS.recv per step): still
 * registered, so that runs in flight across an upgrade resume with the steps they recorded. Results reach it
 * at its watchdog tick, from the rows the gateway stores.
 */
const LEGACY_RUN_WORKFLOW = "shipyard.run";

/** How long a run waits for work before re-checking its tasks for runners that disappeared. */
const WATCHDOG_SECONDS = 30;

/** The child workflow that runs a server-run task of each kind. */
const SERVER_TASK_WORKFLOWS: Record<ServerTaskKind, string> = { llm: LLM_TASK_WORKFLOW, http: HTTP_TASK_WORKFLOW, wait: WAIT_TASK_WORKFLOW };

/** A server task as an advance returned it; checkpoints written before http and wait steps hold bare llm task ids. */
const serverTaskRef = (t: ServerTaskRef | string): ServerTaskRef => (typeof t === "string" ? { id: t, kind: "llm" } : t);

const ADVANCE_ATTEMPTS = 5;
const ADVANCE_RETRY_MS = 500;

/** An advance's outcome, or word that a DBOS message waits (the workflow receives it, then advances with it). */
type StepOutcome = AdvanceOutcome | { messageWaiting: true };

/** What the next advance applies: a message, or null: wait for work first (results, a message, the watchdog). */
type Next = RunMessage | null;

/**
 * One checkpointed `advance`, preceded (`next` null) by the wait for work, in the same step: one checkpoint per
 * step cycle. It retries failures that are not terminal itself (5 attempts, 0.5 s doubling, as DBOS's step
 * retries would) rather than with `retriesAllowed`, which costs DBOS an extra workflow-status query on every
 * step; advanceRun is idempotent and the wait looks at stored state first, so re-running either is safe.
 */
const advanceStep = (res: EngineResources, runId: string, next: Next) =>
  DBOS.runStep(
    async (): Promise<StepOutcome> => {
      let msg = next;
      if (!msg) {
        const work = await res.wakes.waitForWork(runId, WATCHDOG_SECONDS * 1000);
        // Finished by an advance made where its last result arrived (src/runs/arriving-result.ts).
        if (typeof work === "object") return { finished: true, status: work.finished };
        if (work === "messages") return { messageWaiting: true };
        msg = work === "reports" ? { type: "reports" } : { type: "tick" };
      }
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
    { name: next ? `advance:${next.type}` : "advance:next" },
  );

/**
 * Register the durable run of a YAML workflow: a loop of (wait for work, advance the stored state). Runners'
 * results are applied to the run where they arrive (src/runs/arriving-result.ts), which wakes the wait when the
 * run finished; a result that could not be applied there is stored in its task row and wakes it too
 * (src/runs/wake.ts); cancels, lost runners and server-run steps' results arrive as DBOS messages. Every
 * decision is checkpointed: after a crash DBOS replays the recorded steps and the wait looks at what was
 * stored meanwhile.
 */
export function registerRunWorkflow(res: EngineResources, workflows: LocalWorkflows): void {
  /** `startedOutside`: whoever started the workflow made the run's first advance (see createRun). */
  async function runWorkflowImpl(runId: string, startedOutside?: boolean): Promise<AdvanceOutcome> {
    let next: Next = startedOutside === true ? null : { type: "start" };
    for (;;) {
      const outcome = await advanceStep(res, runId, next);
      next = null;
      if ("messageWaiting" in outcome) {
        next = (await DBOS.recv<RunMessage>(RUN_TOPIC, 0)) ?? { type: "tick" };
        continue;
      }
      if (await afterAdvance(res, workflows, runId, outcome)) return outcome;
    }
  }
  workflows.register(RUN_WORKFLOW, runWorkflowImpl, { maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });

  async function legacyRunWorkflowImpl(runId: string, startedOutside?: boolean): Promise<AdvanceOutcome> {
    let msg: RunMessage | null = startedOutside === true ? null : { type: "start" };
    for (;;) {
      if (msg) {
        const outcome = await advanceStep(res, runId, msg);
        if (!("messageWaiting" in outcome) && (await afterAdvance(res, workflows, runId, outcome))) return outcome;
      }
      msg = (await DBOS.recv<RunMessage>(RUN_TOPIC, WATCHDOG_SECONDS)) ?? { type: "tick" };
    }
  }
  workflows.register(LEGACY_RUN_WORKFLOW, legacyRunWorkflowImpl, { maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });
}

/** After an advance: the run's webhook when it finished (true), else the child workflows of its server-run steps. */
async function afterAdvance(res: EngineResources, workflows: LocalWorkflows, runId: string, outcome: AdvanceOutcome): Promise<boolean> {
  if (outcome.finished) {
    await emitRunFinished(res, runId);
    return true;
  }
  await startServerTasks(workflows, runId, outcome.serverTasks ?? []);
  return false;
}

/**
 * Start the child workflow of each server-run task (llm, http, wait steps) an advance started or found running:
 * one per task, its id the task's, so this is idempotent.
 */
export async function startServerTasks(workflows: WorkflowControl, runId: string, tasks: readonly (ServerTaskRef | string)[]): Promise<void> {
  for (const t of tasks.map(serverTaskRef)) await workflows.start(SERVER_TASK_WORKFLOWS[t.kind], { workflowId: t.id }, runId, t.id);
}
