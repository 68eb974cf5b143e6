import type { Queryable } from "../db/pool.ts";

/** The operation a workflow execution belongs to. */
export interface TracedOperation {
  id: string;
  kind: string;
  workspaceId: string;
}

/** One finished attempt of a step (a task), as the step span is drawn from it. */
export interface FinishedTask {
  id: string;
  stepId: string;
  attempt: number;
  dispatch: number;
  runnerId: string | null;
  /** What the runner (or the engine, for a lost runner or a cancel) reported. */
  result: { status?: string; exitCode?: number | null; error?: string; reason?: string } | null;
  createdAt: Date;
  assignedAt: Date | null;
  finishedAt: Date;
}

/** What the span processor reads from the database: passed in, so it is tested without a real engine. */
export interface TraceReads {
  /** The operation whose workflow has this id (a run's is its id; a job's is `<job id>:<attempt>`). */
  operationOf(workflowId: string): Promise<TracedOperation | null>;
  /** Tasks whose results this workflow takes, finished at or after `since` (all of them when null). */
  finishedTasks(workflowId: string, since: Date | null): Promise<FinishedTask[]>;
}

/** The reads against Shipyard's tables (read-only: the tables' stores write them). */
export function traceReads(db: Queryable): TraceReads {
  return {
    async operationOf(workflowId) {
      const res = await db.query<TracedOperation>(
        `select id, kind, workspace_id as "workspaceId" from operations
         where id = $1 or id = (select id from jobs where workflow_id = $1 limit 1)`,
        [workflowId],
      );
      return res.rows[0] ?? null;
    },
    async finishedTasks(workflowId, since) {
      const res = await db.query<FinishedTask>(
        `select id, step_id as "stepId", attempt, dispatch, runner_id as "runnerId", result,
                created_at as "createdAt", assigned_at as "assignedAt", finished_at as "finishedAt"
         from tasks where workflow_id = $1 and status = 'done' and finished_at >= coalesce($2, '-infinity'::timestamptz)
         order by finished_at, id`,
        [workflowId, since],
      );
      return res.rows;
    },
  };
}
