import { DBOS } from "@dbos-inc/dbos-sdk";
import { engineDeps } from "../engine/context.ts";
import { RUN_TOPIC, type RunMessage } from "../tasks/messages.ts";
import { startRunWorkflow } from "./service.ts";
import { DEAD_WORKFLOW_STATUSES, deadWorkflowReason, forceFinishRun } from "./finish.ts";
import { inTransaction } from "../db/pool.ts";
import { markSilentRunnersOffline } from "../tasks/runner-store.ts";
import { tasksOfLostRunners } from "../tasks/store.ts";
import { runsWithWorkflowIn, unstartedRuns } from "./store.ts";

/** A runner silent for this long is offline. */
export const RUNNER_SILENCE_MS = 30_000;
/** Tasks of a disconnected runner are declared lost after this grace (it may reconnect and keep them). */
export const LOST_GRACE_MS = 10_000;

/**
 * Periodic health sweep, run by DBOS's scheduler (one execution per tick across all workers): runners that
 * stopped answering go offline, their tasks go back to their run workflows as `lost`, and runs whose
 * workflow was never enqueued (a crash right after the insert) are enqueued.
 */
async function sweepImpl(_scheduled: Date, _context: unknown): Promise<void> {
  const findings = await DBOS.runStep(
    async () => {
      const { pool } = engineDeps();
      await markSilentRunnersOffline(pool, RUNNER_SILENCE_MS);
      const lost = await tasksOfLostRunners(pool, LOST_GRACE_MS);
      const orphanRuns = await unstartedRuns(pool);
      // Runs their workflow will never finish: DBOS gave up on it, or it ended without ending the run.
      const deadRuns = await runsWithWorkflowIn(pool, DEAD_WORKFLOW_STATUSES);
      return { lost, orphanRuns, deadRuns };
    },
    { name: "find-lost-work" },
  );
  for (const r of findings.deadRuns) {
    const reason = deadWorkflowReason(r.wf_status, r.wf_error, r.attempts);
    const ended = await DBOS.runStep(() => inTransaction(engineDeps().pool, (c) => forceFinishRun(c, r.id, "failed", reason)), { name: "end-dead-run" });
    if (ended) engineDeps().log.warn({ runId: r.id, workflowStatus: r.wf_status, reason }, "ended a run its workflow will never finish");
  }
  for (const t of findings.lost) {
    const msg: RunMessage = { type: "lost", taskId: t.id, dispatch: t.dispatch, reason: `runner ${t.name} offline` };
    await DBOS.send(t.workflow_id, msg, RUN_TOPIC, `lost:${t.id}:${t.dispatch}`);
  }
  for (const r of findings.orphanRuns) {
    await DBOS.runStep(() => startRunWorkflow(r.workspace_id, r.id, r.concurrency_key), { name: "enqueue-orphan-run" });
  }
}

export const sweepWorkflow = DBOS.registerWorkflow(sweepImpl, { name: "shipyard.sweep" });

/** Install the sweep schedule (every 5 s). */
export async function scheduleSweeper(): Promise<void> {
  await DBOS.applySchedules([{ scheduleName: "shipyard-sweep", workflowFn: sweepWorkflow, schedule: "*/5 * * * * *" }]);
}
