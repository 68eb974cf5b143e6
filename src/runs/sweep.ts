import { DBOS } from "@dbos-inc/dbos-sdk";
import { engineDeps } from "../engine/context.ts";
import { inTransaction } from "../db/pool.ts";
import { DEAD_WORKFLOW_STATUSES, deadWorkflowReason, forceFinishRun } from "./finish.ts";
import { startRunWorkflow } from "./service.ts";
import { runsWithWorkflowIn, unstartedRuns } from "./store.ts";

/**
 * Periodic sweep of runs, run by DBOS's scheduler: runs whose workflow was never enqueued (a crash right after
 * the insert) are enqueued, and runs their workflow will never finish (DBOS gave up on it, or it ended without
 * ending the run) are ended, saying why.
 */
async function runSweepImpl(_scheduled: Date, _context: unknown): Promise<void> {
  const findings = await DBOS.runStep(
    async () => {
      const { pool } = engineDeps();
      return { orphanRuns: await unstartedRuns(pool), deadRuns: await runsWithWorkflowIn(pool, DEAD_WORKFLOW_STATUSES) };
    },
    { name: "find-stalled-runs" },
  );
  for (const r of findings.deadRuns) {
    const reason = deadWorkflowReason(r.wf_status, r.wf_error, r.attempts);
    const ended = await DBOS.runStep(() => inTransaction(engineDeps().pool, (c) => forceFinishRun(c, r.id, "failed", reason)), { name: "end-dead-run" });
    if (ended) engineDeps().log.warn({ runId: r.id, workflowStatus: r.wf_status, reason }, "ended a run its workflow will never finish");
  }
  for (const r of findings.orphanRuns) {
    await DBOS.runStep(() => startRunWorkflow(r.workspace_id, r.id, r.concurrency_key), { name: "enqueue-orphan-run" });
  }
}

const runSweepWorkflow = DBOS.registerWorkflow(runSweepImpl, { name: "shipyard.run-sweep" });

/** The run sweep's schedule (every 5 s). */
export const RUN_SWEEP = { scheduleName: "shipyard-run-sweep", workflowFn: runSweepWorkflow, schedule: "*/5 * * * * *" };
