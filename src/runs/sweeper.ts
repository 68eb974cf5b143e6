import { DBOS } from "@dbos-inc/dbos-sdk";
import { engineDeps } from "../engine/context.ts";
import { RUN_TOPIC, type RunMessage } from "../tasks/messages.ts";
import { startRunWorkflow } from "./service.ts";
import { DEAD_WORKFLOW_STATUSES, deadWorkflowReason, forceFinishRun } from "./finish.ts";
import { inTransaction } from "../db/pool.ts";

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
      await pool.query(
        `update runners set status = 'offline'
         where status = 'online' and last_seen_at < now() - make_interval(secs => $1::float / 1000)`,
        [RUNNER_SILENCE_MS],
      );
      const lost = await pool.query<{ id: string; dispatch: number; workflow_id: string; name: string }>(
        `select t.id, t.dispatch, t.workflow_id, r.name from tasks t join runners r on r.id = t.runner_id
         where t.status = 'assigned' and r.status = 'offline' and r.last_seen_at < now() - make_interval(secs => $1::float / 1000)`,
        [LOST_GRACE_MS],
      );
      const orphanRuns = await pool.query<{ id: string; workspace_id: string; concurrency_key: string | null }>(
        `select r.id, r.workspace_id, r.concurrency_key from runs r join operations o on o.id = r.id
         left join dbos.workflow_status w on w.workflow_uuid = r.id
         where o.status = 'pending' and w.workflow_uuid is null and o.created_at < now() - interval '10 seconds'`,
      );
      // Runs their workflow will never finish: DBOS gave up on it, or it ended without ending the run.
      const deadRuns = await pool.query<{ id: string; wf_status: string; wf_error: string | null; attempts: number }>(
        `select r.id, w.status as wf_status, w.error as wf_error, coalesce(w.recovery_attempts, 0)::int as attempts
         from runs r join operations o on o.id = r.id join dbos.workflow_status w on w.workflow_uuid = r.id
         where o.status in ('pending', 'running') and w.status = any($1::text[])`,
        [DEAD_WORKFLOW_STATUSES],
      );
      return { lost: lost.rows, orphanRuns: orphanRuns.rows, deadRuns: deadRuns.rows };
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
