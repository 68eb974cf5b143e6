import { DBOS } from "@dbos-inc/dbos-sdk";
import { engineDeps } from "./context.ts";
import { RUN_TOPIC, type RunMessage } from "./messages.ts";
import { startRunWorkflow } from "./runs.ts";

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
      return { lost: lost.rows, orphanRuns: orphanRuns.rows };
    },
    { name: "find-lost-work" },
  );
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
