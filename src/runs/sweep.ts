import { DBOS } from "@dbos-inc/dbos-sdk";
import type { LocalWorkflows } from "../engine/control.ts";
import type { SweepSchedule } from "../engine/kinds.ts";
import type { EngineResources } from "../engine/resources.ts";
import { inTransaction } from "../db/pool.ts";
import { DEAD_WORKFLOW_STATUSES, deadWorkflowReason, forceFinishRun } from "./finish.ts";
import { startRunWorkflow } from "./service.ts";
import { runsWithWorkflowIn, unstartedRuns } from "./store.ts";

/**
 * Register the periodic sweep of runs, run by DBOS's scheduler every 5 s: runs whose workflow was never
 * enqueued (a crash right after the insert) are enqueued, and runs their workflow will never finish (DBOS gave
 * up on it, or it ended without ending the run) are ended, saying why. Returns its schedule.
 */
export function registerRunSweep(res: EngineResources, workflows: LocalWorkflows): SweepSchedule {
  async function runSweepImpl(_scheduled: Date, _context: unknown): Promise<void> {
    const findings = await DBOS.runStep(
      async () => ({ orphanRuns: await unstartedRuns(res.pool), deadRuns: await runsWithWorkflowIn(res.pool, DEAD_WORKFLOW_STATUSES) }),
      { name: "find-stalled-runs" },
    );
    for (const r of findings.deadRuns) {
      const reason = deadWorkflowReason(r.wf_status, r.wf_error, r.attempts);
      const ended = await DBOS.runStep(() => inTransaction(res.pool, (c) => forceFinishRun(c, r.id, "failed", reason)), { name: "end-dead-run" });
      if (ended) res.log.warn({ runId: r.id, workflowStatus: r.wf_status, reason }, "ended a run its workflow will never finish");
    }
    for (const r of findings.orphanRuns) {
      await DBOS.runStep(() => startRunWorkflow(res.workflows, r.workspace_id, r.id, r.concurrency_key), { name: "enqueue-orphan-run" });
    }
  }
  const workflowFn = workflows.register("shipyard.run-sweep", runSweepImpl);
  return { scheduleName: "shipyard-run-sweep", workflowFn, schedule: "*/5 * * * * *" };
}
