import { DBOS } from "@dbos-inc/dbos-sdk";
import type { LocalWorkflows } from "../engine/control.ts";
import type { SweepSchedule } from "../engine/kinds.ts";
import type { EngineResources } from "../engine/resources.ts";
import { inTransaction } from "../db/pool.ts";
import { appendEvents } from "../events/store.ts";
import { endOperation, lockOperation } from "../operations/store.ts";
import { DEAD_WORKFLOW_STATUSES, deadWorkflowReason } from "../runs/finish.ts";
import { publishesWithWorkflowIn } from "./store.ts";

/**
 * Register the sweep of publishes (every 10 s): a publish whose workflow will never finish it (DBOS gave up on
 * it, it ended without ending the publish, or it was never started) is failed once, saying why.
 */
export function registerPublishSweep(res: EngineResources, workflows: LocalWorkflows): SweepSchedule {
  async function publishSweepImpl(_scheduled: Date, _context: unknown): Promise<void> {
    const dead = await DBOS.runStep(() => publishesWithWorkflowIn(res.pool, DEAD_WORKFLOW_STATUSES), { name: "find-dead-publishes" });
    for (const p of dead) {
      const reason = deadWorkflowReason(p.wf_status ?? "missing", p.wf_error, p.attempts);
      await DBOS.runStep(
        () =>
          inTransaction(res.pool, async (c) => {
            const status = await lockOperation(c, p.id);
            if (status !== "pending" && status !== "running") return;
            await endOperation(c, p.id, "failed", reason);
            await appendEvents(c, p.id, [
              { type: "status", payload: { status: "failed", reason }, dedupeKey: "status:failed" },
              { type: "complete", payload: { status: "failed", error: reason }, dedupeKey: "complete" },
            ]);
            res.log.warn({ publishId: p.id, workflowStatus: p.wf_status, reason }, "ended a publish its workflow will never finish");
          }),
        { name: "end-dead-publish" },
      );
    }
  }
  const workflowFn = workflows.register("shipyard.publish-sweep", publishSweepImpl);
  return { scheduleName: "shipyard-publish-sweep", workflowFn, schedule: "*/10 * * * * *" };
}
