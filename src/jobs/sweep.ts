import { DBOS } from "@dbos-inc/dbos-sdk";
import { inTransaction } from "../db/pool.ts";
import { finishJob, returnJobToQueue } from "./claim.ts";
import { idleRunnersWithWaitingJobs, lockRunningAttempt, orphanedJobs, stuckJobs } from "./store.ts";
import type { LocalWorkflows } from "../engine/control.ts";
import type { SweepSchedule } from "../engine/kinds.ts";
import type { EngineResources } from "../engine/resources.ts";
import { startDispatcher } from "./dispatch.ts";
import { stopAttemptTasks } from "./stage-task.ts";
import { deadWorkflowReason } from "../runs/finish.ts";

interface Finding {
  id: string;
  attempts: number;
  workflowId: string | null;
  reason: string;
  maxAttempts: number;
  /** Fail it whatever the recovery setting: its workflow failed or DBOS gave up on it, so another attempt would too. */
  fail?: boolean;
}

/** Running jobs whose workflow is gone, and running jobs silent for longer than `stuck_after`. */
async function findOrphansAndStuck({ pool, jobs }: EngineResources): Promise<{ findings: Finding[]; idleRunners: string[] }> {
  const orphans = await orphanedJobs(pool);
  const stuck = await stuckJobs(pool, jobs.stuckAfterMs);
  const findings: Finding[] = [
    ...orphans.map((r) =>
      r.wf_status === "ERROR" || r.wf_status === "MAX_RECOVERY_ATTEMPTS_EXCEEDED"
        ? { id: r.id, attempts: r.attempts, workflowId: r.workflow_id, maxAttempts: r.max_attempts, fail: true, reason: deadWorkflowReason(r.wf_status, r.wf_error, r.recoveries) }
        : { id: r.id, attempts: r.attempts, workflowId: r.workflow_id, maxAttempts: r.max_attempts, reason: `orphaned: its workflow is ${r.wf_status ?? "missing"}` },
    ),
    ...stuck
      .filter((r) => !orphans.some((o) => o.id === r.id))
      .map((r) => ({ id: r.id, attempts: r.attempts, workflowId: r.workflow_id, maxAttempts: r.max_attempts, reason: `stuck: no event for ${Math.round(r.idle_s / 60)} min` })),
  ];
  return { findings, idleRunners: await idleRunnersWithWaitingJobs(pool) };
}

/**
 * Register the job sweep, scheduled (DBOS) every 10 s: orphaned and stuck jobs are re-queued or failed per
 * configuration, with an event that says why; free runners are offered the next job (a safety net for a missed
 * wake-up). Returns its schedule.
 */
export function registerJobSweep(res: EngineResources, workflows: LocalWorkflows): SweepSchedule {
  async function jobSweepImpl(_scheduled: Date, _context: unknown): Promise<void> {
    const { findings, idleRunners } = await DBOS.runStep(() => findOrphansAndStuck(res), { name: "find" });
    for (const f of findings) await recover(f);
    for (const id of idleRunners) await startDispatcher(res.workflows, id);
  }
  async function recover(f: Finding): Promise<void> {
    if (f.workflowId) await res.workflows.cancel(f.workflowId);
    await DBOS.runStep(
      () =>
        inTransaction(res.pool, async (c) => {
          let recovered: boolean;
          if (res.jobs.recovery === "requeue" && !f.fail) {
            recovered = (await returnJobToQueue(c, f.id, f.attempts, f.reason, f.maxAttempts)) !== "stale";
          } else {
            const job = await lockRunningAttempt(c, f.id, f.attempts);
            if (job) await finishJob(c, job, "failed", f.reason);
            recovered = job !== null;
          }
          if (recovered) await stopAttemptTasks(c, f.id, f.attempts);
        }),
      { name: `recover:${f.id}` },
    );
  }
  const workflowFn = workflows.register("shipyard.job-sweep", jobSweepImpl);
  return { scheduleName: "shipyard-job-sweep", workflowFn, schedule: "*/10 * * * * *" };
}
