import { DBOS } from "@dbos-inc/dbos-sdk";
import { inTransaction } from "../db/pool.ts";
import { finishJob, returnJobToQueue } from "./claim.ts";
import type { JobRecord } from "./queue.ts";
import { engineDeps } from "../engine/context.ts";
import { stopAttemptTasks } from "./stage-task.ts";
import { startDispatcher } from "./workflow.ts";
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
async function findOrphansAndStuck(): Promise<{ findings: Finding[]; idleRunners: string[] }> {
  const { pool, jobs } = engineDeps();
  const orphans = await pool.query<{ id: string; attempts: number; workflow_id: string | null; wf_status: string | null; wf_error: string | null; recoveries: number; max_attempts: number }>(
    `select j.id, j.attempts, j.workflow_id, w.status as wf_status, w.error as wf_error, coalesce(w.recovery_attempts, 0)::int as recoveries, p.max_attempts from jobs j
     join projects p on p.id = j.project_id
     left join dbos.workflow_status w on w.workflow_uuid = j.workflow_id
     where j.status = 'running' and j.updated_at < now() - interval '5 seconds'
       and (w.status is null or w.status not in ('PENDING', 'ENQUEUED'))`,
  );
  const stuck = await pool.query<{ id: string; attempts: number; workflow_id: string | null; max_attempts: number; idle_s: number }>(
    `select j.id, j.attempts, j.workflow_id, p.max_attempts,
            extract(epoch from now() - coalesce((select max(created_at) from events e where e.operation_id = j.id), j.updated_at))::int as idle_s
     from jobs j join projects p on p.id = j.project_id
     where j.status = 'running'
       and coalesce((select max(created_at) from events e where e.operation_id = j.id), j.updated_at) < now() - make_interval(secs => $1::float / 1000)`,
    [jobs.stuckAfterMs],
  );
  const findings: Finding[] = [
    ...orphans.rows.map((r) =>
      r.wf_status === "ERROR" || r.wf_status === "MAX_RECOVERY_ATTEMPTS_EXCEEDED"
        ? { id: r.id, attempts: r.attempts, workflowId: r.workflow_id, maxAttempts: r.max_attempts, fail: true, reason: deadWorkflowReason(r.wf_status, r.wf_error, r.recoveries) }
        : { id: r.id, attempts: r.attempts, workflowId: r.workflow_id, maxAttempts: r.max_attempts, reason: `orphaned: its workflow is ${r.wf_status ?? "missing"}` },
    ),
    ...stuck.rows
      .filter((r) => !orphans.rows.some((o) => o.id === r.id))
      .map((r) => ({ id: r.id, attempts: r.attempts, workflowId: r.workflow_id, maxAttempts: r.max_attempts, reason: `stuck: no event for ${Math.round(r.idle_s / 60)} min` })),
  ];
  const idle = await pool.query<{ id: string }>(
    `select r.id from runners r where r.status = 'online'
       and not exists (select 1 from jobs j where j.runner_id = r.id and j.status = 'running')
       and exists (select 1 from jobs j where j.status = 'queued' and (r.workspace_id is null or j.workspace_id = r.workspace_id))`,
  );
  return { findings, idleRunners: idle.rows.map((r) => r.id) };
}

/**
 * Scheduled (DBOS) every 10 s: orphaned and stuck jobs are re-queued or failed per configuration, with an
 * event that says why; free runners are offered the next job (a safety net for a missed wake-up).
 */
async function jobSweepImpl(_scheduled: Date, _context: unknown): Promise<void> {
  const { findings, idleRunners } = await DBOS.runStep(findOrphansAndStuck, { name: "find" });
  for (const f of findings) {
    if (f.workflowId) await DBOS.cancelWorkflow(f.workflowId);
    await DBOS.runStep(
      () =>
        inTransaction(engineDeps().pool, async (c) => {
          let recovered: boolean;
          if (engineDeps().jobs.recovery === "requeue" && !f.fail) {
            recovered = (await returnJobToQueue(c, f.id, f.attempts, f.reason, f.maxAttempts)) !== "stale";
          } else {
            const job = (
              await c.query<JobRecord>("select * from jobs where id = $1 and status = 'running' and attempts = $2 for update", [f.id, f.attempts])
            ).rows[0];
            if (job) await finishJob(c, job, "failed", f.reason);
            recovered = job !== undefined;
          }
          if (recovered) await stopAttemptTasks(c, f.id, f.attempts);
        }),
      { name: `recover:${f.id}` },
    );
  }
  for (const id of idleRunners) await startDispatcher(id);
}

export const jobSweepWorkflow = DBOS.registerWorkflow(jobSweepImpl, { name: "shipyard.job-sweep" });

/** Install the job sweep schedule. */
export async function scheduleJobSweep(): Promise<void> {
  await DBOS.applySchedules([{ scheduleName: "shipyard-job-sweep", workflowFn: jobSweepWorkflow, schedule: "*/10 * * * * *" }]);
}
