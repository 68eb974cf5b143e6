// The `operations` table: every statement that reads or writes an operation row on its own. (Statements that
// settle a run's own rows and its operation together, in one round trip, are the runs store's.)
import type { Queryable } from "../db/pool.ts";
import type { OperationKind } from "../domain/operation-kinds.ts";

/** An operation row as stored. */
export interface OperationRow {
  id: string;
  kind: OperationKind;
  status: string;
  title: string;
  error: string | null;
  last_seq: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** Insert a pending operation. */
export async function insertOperation(db: Queryable, o: { id: string; workspaceId: string; kind: OperationKind; title: string }): Promise<void> {
  await db.query("insert into operations (id, workspace_id, kind, status, title) values ($1, $2, $3, 'pending', $4)", [o.id, o.workspaceId, o.kind, o.title]);
}

/** An operation of a workspace, or null. */
export async function getOperationRow(db: Queryable, workspaceId: string, id: string): Promise<OperationRow | null> {
  const res = await db.query<OperationRow>("select * from operations where id = $1 and workspace_id = $2", [id, workspaceId]);
  return res.rows[0] ?? null;
}

/** An operation's status and the sequence number of its last event, or null outside the workspace. */
export async function operationProgress(db: Queryable, workspaceId: string, id: string): Promise<{ status: string; last_seq: number } | null> {
  const op = await db.query<{ status: string; last_seq: number }>("select status, last_seq from operations where id = $1 and workspace_id = $2", [id, workspaceId]);
  return op.rows[0] ?? null;
}

/** True when the operation exists in the workspace. */
export async function operationExists(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
  const exists = await db.query("select 1 from operations where id = $1 and workspace_id = $2", [id, workspaceId]);
  return (exists.rowCount ?? 0) > 0;
}

/** Lock an operation row; returns its status (null when it does not exist). */
export async function lockOperation(db: Queryable, id: string): Promise<string | null> {
  const op = await db.query<{ status: string }>("select status from operations where id = $1 for update", [id]);
  return op.rows[0]?.status ?? null;
}

/** The operation is running (started now, unless it had started before). */
export async function markOperationRunning(db: Queryable, id: string): Promise<void> {
  await db.query("update operations set status = 'running', started_at = coalesce(started_at, now()) where id = $1", [id]);
}

/** The operation waits again (a job back in its queue). */
export async function markOperationPending(db: Queryable, id: string): Promise<void> {
  await db.query("update operations set status = 'pending' where id = $1", [id]);
}

/** Settle an operation with a final status and error. */
export async function finishOperation(db: Queryable, id: string, status: string, error: string | null): Promise<void> {
  await db.query("update operations set status = $2, error = $3, finished_at = now() where id = $1", [id, status, error]);
}

/** Settle an operation that may never have started (it counts as started when it ended). */
export async function endOperation(db: Queryable, id: string, status: string, error: string | null): Promise<void> {
  await db.query("update operations set status = $2, error = $3, finished_at = now(), started_at = coalesce(started_at, now()) where id = $1", [id, status, error]);
}

/** Workflow runs by status. */
export async function countRunsByStatus(db: Queryable): Promise<{ status: string; n: number }[]> {
  return (await db.query<{ status: string; n: number }>("select status, count(*)::int as n from operations where kind = 'workflow' group by status")).rows;
}

/**
 * Unfinished operations of `kind` (older than 5 s) whose DBOS workflow is in one of `statuses`, or has no row at
 * all when `missing` is set, for the kinds' dead-operation sweeps.
 */
export async function operationsWithWorkflowIn(
  db: Queryable,
  kind: OperationKind,
  statuses: readonly string[],
  missing: boolean,
): Promise<{ id: string; wf_status: string | null; wf_error: string | null; attempts: number }[]> {
  const res = await db.query<{ id: string; wf_status: string | null; wf_error: string | null; attempts: number }>(
    `select o.id, w.status as wf_status, w.error as wf_error, coalesce(w.recovery_attempts, 0)::int as attempts
       from operations o left join dbos.workflow_status w on w.workflow_uuid = o.id
      where o.kind = $1 and o.status in ('pending', 'running') and (w.status = any($2::text[]) or ($3 and w.status is null))
        and o.created_at < now() - interval '5 seconds'`,
    [kind, statuses, missing],
  );
  return res.rows;
}
