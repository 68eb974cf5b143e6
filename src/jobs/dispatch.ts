import { engineDeps } from "../engine/context.ts";
import { startDispatcher } from "./workflow.ts";

/**
 * Offer the next job to each given runner (default: every online one) that is free and has a job it could
 * take; the filter keeps a burst of submissions (or submissions to a paused queue) from starting a
 * dispatcher per runner per job.
 */
export async function kickDispatch(runnerIds?: string[]): Promise<void> {
  const free = await engineDeps().pool.query<{ id: string }>(
    `select r.id from runners r
     where r.status = 'online' and ($1::text[] is null or r.id = any($1))
       and not exists (select 1 from jobs j where j.runner_id = r.id and j.status = 'running')
       and exists (select 1 from jobs j left join job_queues q on q.workspace_id = j.workspace_id and q.queue = j.queue
                   where j.status = 'queued' and not coalesce(q.paused, false)
                     and (r.workspace_id is null or j.workspace_id = r.workspace_id))`,
    [runnerIds ?? null],
  );
  for (const { id } of free.rows) await startDispatcher(id);
}
