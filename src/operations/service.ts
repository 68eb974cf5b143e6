// Operations of any kind as the API shows them: their row and their event log.
import type { Queryable } from "../db/pool.ts";
import type { OperationDeps } from "../engine/control.ts";
import { notFound } from "../domain/errors.ts";
import { isFinalStatus } from "../domain/statuses.ts";
import { KINDS } from "../engine/kinds.ts";
import { readEvents, seqAtTime, type StoredEvent } from "../events/store.ts";
import { getOperationRow, operationProgress } from "./store.ts";

/** An operation as the API shows it. */
export interface OperationView {
  id: string;
  kind: string;
  status: string;
  title: string;
  error: string | null;
  lastSeq: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The kind's own view (a run, a job), from the kind registry. */
  detail: unknown;
}

/** An operation of the workspace with its kind's own view (404 otherwise). */
export async function getOperation(db: Queryable, workspaceId: string, id: string): Promise<OperationView> {
  const op = await getOperationRow(db, workspaceId, id);
  if (!op) throw notFound("operation", id);
  const detail = await KINDS[op.kind].view(db, workspaceId, id);
  return {
    id: op.id,
    kind: op.kind,
    status: op.status,
    title: op.title,
    error: op.error,
    lastSeq: op.last_seq,
    createdAt: op.created_at.toISOString(),
    startedAt: op.started_at?.toISOString() ?? null,
    finishedAt: op.finished_at?.toISOString() ?? null,
    detail,
  };
}

/** Cancel an operation of any kind, as its kind cancels (404 outside the workspace, 409 when finished). */
export async function cancelOperation(deps: OperationDeps, workspaceId: string, id: string): Promise<OperationView> {
  const op = await getOperationRow(deps.pool, workspaceId, id);
  if (!op) throw notFound("operation", id);
  await KINDS[op.kind].cancel(deps, workspaceId, id);
  return getOperation(deps.pool, workspaceId, id);
}

/** Whether an operation of the workspace has nothing after `since` to tell any more (404 when it is not there). */
export async function isOverAfter(db: Queryable, workspaceId: string, id: string, since: number): Promise<boolean> {
  const row = await operationProgress(db, workspaceId, id);
  if (!row) throw notFound("operation", id);
  return isFinalStatus(row.status) && since >= row.last_seq;
}

/** Where to resume an operation's events from: a sequence number as given, or the last event at or before an ISO time. */
export async function resumePoint(db: Queryable, id: string, since: number | Date): Promise<number> {
  return typeof since === "number" ? since : seqAtTime(db, id, since);
}

/** A page of an operation's events after `since` (the caller checked the operation is the workspace's). */
export function eventsAfter(db: Queryable, id: string, since: number, limit: number): Promise<StoredEvent[]> {
  return readEvents(db, id, since, limit);
}
