import { DBOS } from "@dbos-inc/dbos-sdk";
import type { LocalWorkflows } from "../engine/control.ts";
import type { SweepSchedule } from "../engine/kinds.ts";
import type { EngineResources } from "../engine/resources.ts";
import { inTransaction } from "../db/pool.ts";
import { appendEvents } from "../events/store.ts";
import { endOperation, lockOperation } from "../operations/store.ts";
import { DEAD_WORKFLOW_STATUSES, deadWorkflowReason } from "../runs/finish.ts";
import { buildsWithWorkflowIn } from "./store.ts";

/**
 * Register the sweep of builds (every 10 s): a build whose workflow will never finish it (DBOS gave up on it,
 * or it ended without ending the build) is failed once, saying why.
 */
export function registerBuildSweep(res: EngineResources, workflows: LocalWorkflows): SweepSchedule {
  async function buildSweepImpl(_scheduled: Date, _context: unknown): Promise<void> {
    const dead = await DBOS.runStep(() => buildsWithWorkflowIn(res.pool, DEAD_WORKFLOW_STATUSES), { name: "find-dead-builds" });
    for (const b of dead) {
      const reason = deadWorkflowReason(b.wf_status ?? "missing", b.wf_error, b.attempts);
      await DBOS.runStep(
        () =>
          inTransaction(res.pool, async (c) => {
            const status = await lockOperation(c, b.id);
            if (status !== "pending" && status !== "running") return;
            await endOperation(c, b.id, "failed", reason);
            await appendEvents(c, b.id, [
              { type: "status", payload: { status: "failed", reason }, dedupeKey: "status:failed" },
              { type: "complete", payload: { status: "failed", error: reason }, dedupeKey: "complete" },
            ]);
            res.log.warn({ buildId: b.id, workflowStatus: b.wf_status, reason }, "ended a build its workflow will never finish");
          }),
        { name: "end-dead-build" },
      );
    }
  }
  const workflowFn = workflows.register("shipyard.build-sweep", buildSweepImpl);
  return { scheduleName: "shipyard-build-sweep", workflowFn, schedule: "*/10 * * * * *" };
}
