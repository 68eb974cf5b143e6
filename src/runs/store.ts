// The `runs` and `run_steps` tables: every statement that reads or writes them, including the one-round-trip
// functions of migration 003 (shipyard_create_run, shipyard_lock_run, shipyard_flush_run) that also write the
// run's operation row and events.
import type { Queryable } from "../db/pool.ts";
import { isFinalStatus, isFinishedStep, type RunStatus, type StepStatus } from "../domain/statuses.ts";
import { appendEvents, appendEventsParams, type EventInput } from "../events/store.ts";
import type { WorkflowDef } from "../workflows/index.ts";
import type { LockedRun, SettledTask, StepRow } from "./state.ts";
import type { SettledAttempt } from "../tasks/store.ts";
import type { TaskResult } from "../tasks/messages.ts";

/** A run row joined with its operation. */
export interface RunRow {
  id: string;
  workflow_name: string;
  status: RunStatus;
  inputs: Record<string, unknown>;
  outputs: Record<string, string> | null;
  error: string | null;
  concurrency_key: string | null;
  rerun_of: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** A step row as the API reads it. */
export interface StepViewRow {
  step_id: string;
  phase: "main" | "teardown";
  status: StepStatus;
  attempt: number;
  outputs: Record<string, string>;
  exit_code: number | null;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

const RUN_COLUMNS = `r.id, r.workflow_name, o.status, r.inputs, r.outputs, o.error, r.concurrency_key, r.rerun_of,
  o.created_at, o.started_at, o.finished_at`;

/** Which runs a list shows: any of `statuses`, a workflow name (or its prefix), created in [since, until), older than run `before`. */
export interface RunFilter {
  statuses?: readonly RunStatus[];
  workflow?: { name: string; prefix: boolean };
  since?: Date;
  until?: Date;
  before?: string;
  limit: number;
}

/** A run to store: its operation, run row, steps and first events. */
export interface NewRun {
  id: string;
  workspaceId: string;
  def: WorkflowDef;
  source: string;
  inputs: Record<string, string | number | boolean>;
  concurrencyKey: string | null;
  rerunOf: string | null;
  steps: { id: string; phase: "main" | "teardown" }[];
  events: EventInput[];
}

/** The thirteen parameters of shipyard_create_run, in order (also the first of shipyard_create_run_and_place's). */
export function createRunParams(r: NewRun): unknown[] {
  return [
    r.id,
    r.workspaceId,
    r.def.name,
    r.source,
    JSON.stringify(r.def),
    JSON.stringify(r.inputs),
    r.concurrencyKey,
    r.rerunOf,
    r.steps.map((s) => s.id),
    r.steps.map((s) => s.phase),
    ...appendEventsParams(r.id, r.events).slice(1),
  ];
}

/** Store a run in one statement (shipyard_create_run): the operation, run, steps and first events, atomically. */
export async function insertRun(db: Queryable, r: NewRun): Promise<Date> {
  const created = await db.query<{ created_at: Date }>(
    "select shipyard_create_run($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::text[], $11::text[], $12::jsonb[], $13::text[]) as created_at",
    createRunParams(r),
  );
  return created.rows[0]!.created_at;
}

/** A run of a workspace joined with its operation, or null. */
export async function getRunRow(db: Queryable, workspaceId: string, id: string): Promise<RunRow | null> {
  const res = await db.query<RunRow>(`select ${RUN_COLUMNS} from runs r join operations o on o.id = r.id where r.id = $1 and r.workspace_id = $2`, [id, workspaceId]);
  return res.rows[0] ?? null;
}

/** A run with its workspace, whatever the workspace (for the run's own workflow), or null. */
export async function runRowById(db: Queryable, id: string): Promise<(RunRow & { workspace_id: string }) | null> {
  const res = await db.query<RunRow & { workspace_id: string }>(`select ${RUN_COLUMNS}, r.workspace_id from runs r join operations o on o.id = r.id where r.id = $1`, [id]);
  return res.rows[0] ?? null;
}

/** A run's steps in definition order. */
export async function runStepRows(db: Queryable, runId: string): Promise<StepViewRow[]> {
  return (await db.query<StepViewRow>("select * from run_steps where run_id = $1 order by position", [runId])).rows;
}

/** Runs of a workspace, newest first, optionally filtered by status; `before` pages by run id. */
export async function listRunRows(db: Queryable, workspaceId: string, filter: RunFilter): Promise<RunRow[]> {
  const res = await db.query<RunRow>(
    `select ${RUN_COLUMNS} from runs r join operations o on o.id = r.id
     where r.workspace_id = $1 and ($2::text[] is null or o.status = any($2)) and ($3::text is null or r.id < $3)
       and ($5::text is null or (case when $6 then starts_with(r.workflow_name, $5) else r.workflow_name = $5 end))
       and ($7::timestamptz is null or o.created_at >= $7) and ($8::timestamptz is null or o.created_at < $8)
     order by r.id desc limit $4`,
    [workspaceId, filter.statuses?.length ? filter.statuses : null, filter.before ?? null, filter.limit, filter.workflow?.name ?? null, filter.workflow?.prefix ?? false, filter.since ?? null, filter.until ?? null],
  );
  return res.rows;
}

/** The workflow text and inputs of a run of a workspace, or null. */
export async function runSource(db: Queryable, workspaceId: string, id: string): Promise<{ source: string; inputs: Record<string, unknown> } | null> {
  const res = await db.query<{ source: string; inputs: Record<string, unknown> }>("select source, inputs from runs where id = $1 and workspace_id = $2", [id, workspaceId]);
  return res.rows[0] ?? null;
}

/** The stored definition of a run, or null. */
export async function runDefinition(db: Queryable, id: string): Promise<WorkflowDef | null> {
  const res = await db.query<{ definition: WorkflowDef }>("select definition from runs where id = $1", [id]);
  return res.rows[0]?.definition ?? null;
}

/** A task report lockRun settled, with the run's other reports it took at the same time. */
export interface LockedReports {
  /** The message's own task as settled: its attempt and spec, or null when the report was stale. */
  settled: SettledTask;
  /** Every other task of the run a runner had reported, taken (marked done) under the same lock. */
  reported: (SettledAttempt & { result: TaskResult })[];
  /** The run was pending and is running from now on (asked for with `start`). */
  started: boolean;
  /** Settled for a reporting runner: a queued task waits that it could claim with the slot just freed. */
  claimable?: boolean;
}

/** The runner a result came from, when the server that received it settles it (src/runs/arriving-result.ts). */
export interface ReportingRunner {
  runnerId: string;
  /** The runner's workspace; null: the shared pool. */
  workspaceId: string | null;
}

/**
 * Load and lock a run with its steps (null when it does not exist), in one round trip:
 * shipyard_lock_run_and_take (migrations 018, 023) locks the operation row, then reads the steps with a snapshot
 * taken after the lock. With `settle`, a task report is also marked done in the same round trip (only while
 * the run is not finished), `settled` tells what it found, and the run's other reported tasks are taken too;
 * with `take` alone, only those; with `start`, a pending run becomes running. A finished run, or a report that settled nothing, comes back
 * `unchanged` with its status only.
 */
export async function lockRun(
  db: Queryable,
  runId: string,
  o: { settle?: { taskId: string; dispatch: number; result: unknown; by?: ReportingRunner }; start?: boolean; take?: boolean } = {},
): Promise<(LockedRun & LockedReports) | { id: string; status: RunStatus; unchanged: true; claimable?: boolean } | null> {
  const { settle } = o;
  const by = settle?.by;
  const res = await db.query<{
    r_workspace_id: string;
    r_status: RunStatus;
    r_definition: WorkflowDef;
    r_inputs: Record<string, string | number | boolean>;
    r_cancel_requested_at: Date | null;
    r_steps: (Omit<StepRow, "started_at" | "finished_at"> & { started_at: string | null; finished_at: string | null })[] | null;
    r_task: SettledTask;
    r_reported: (SettledAttempt & { result: TaskResult })[] | null;
    r_started: boolean;
    r_claimable?: boolean;
  }>(
    // Settled for the runner that reported it: whether it could claim a waiting task is told too (migration 025).
    by ? "select * from shipyard_settle_run_result($1, $2, $3, $4, $5, $6)" : "select * from shipyard_lock_run_and_take($1, $2, $3, $4, $5, $6)",
    [
      runId,
      settle?.taskId ?? null,
      settle?.dispatch ?? null,
      settle ? JSON.stringify(settle.result) : null,
      by ? by.runnerId : o.start === true,
      by ? by.workspaceId : o.take === true,
    ],
  );
  const row = res.rows[0];
  if (!row) return null;
  const claimable = by ? { claimable: row.r_claimable === true } : {};
  // A finished run, or a stale report (migration 009): nothing to act on, so nothing more was read.
  if (row.r_steps === null) return { id: runId, status: row.r_status, unchanged: true, ...claimable };
  const date = (v: string | null) => (v === null ? null : new Date(v));
  return {
    id: runId,
    workspaceId: row.r_workspace_id,
    status: row.r_status,
    definition: row.r_definition,
    inputs: row.r_inputs,
    cancelRequested: row.r_cancel_requested_at !== null,
    steps: new Map(row.r_steps.map((s) => [s.step_id, { ...s, started_at: date(s.started_at), finished_at: date(s.finished_at) }])),
    settled: row.r_task,
    reported: row.r_reported ?? [],
    started: row.r_started,
    ...claimable,
  };
}

/** Write changed step rows and events of a run in one round trip (shipyard_flush_run, migration 003). */
export async function flushRun(db: Queryable, runId: string, rows: StepRow[], events: EventInput[]): Promise<void> {
  if (rows.length === 0) {
    await appendEvents(db, runId, events);
    return;
  }
  await db.query(
    `select operation_id, seq, type, payload, created_at
     from shipyard_flush_run($1, $2::text[], $3::text[], $4::jsonb[], $5::int[], $6::text[], $7::bool[], $8::int[], $9::text[], $10::jsonb[], $11::text[])`,
    flushRunParams(runId, rows, events),
  );
}

/**
 * The eleven parameters of shipyard_flush_run, in order, for the statements that flush a run on their way
 * (shipyard_flush_run_and_place_task, shipyard_flush_and_finish_run: migration 025).
 */
export function flushRunParams(runId: string, rows: StepRow[], events: EventInput[]): unknown[] {
  return [
    runId,
    rows.map((s) => s.step_id),
    rows.map((s) => s.status),
    rows.map((s) => JSON.stringify(s.outputs)),
    rows.map((s) => s.exit_code),
    rows.map((s) => s.error),
    rows.map((s) => isFinishedStep(s.status)),
    rows.map((s) => s.attempt),
    ...appendEventsParams(runId, events).slice(1),
  ];
}

/** The current status of some steps of a run. */
export async function stepStatuses(db: Queryable, runId: string, stepIds: string[]): Promise<Map<string, StepStatus>> {
  const res = await db.query<{ step_id: string; status: StepStatus }>("select step_id, status from run_steps where run_id = $1 and step_id = any($2::text[])", [runId, stepIds]);
  return new Map(res.rows.map((r) => [r.step_id, r.status]));
}

/** A step the server runs itself has started, on no runner. */
export async function markServerStepStarted(db: Queryable, runId: string, stepId: string): Promise<void> {
  await db.query("update run_steps set runner_id = null, started_at = coalesce(started_at, now()) where run_id = $1 and step_id = $2", [runId, stepId]);
}

/**
 * Settle a run whose steps have all finished, unless a task of it is still queued or assigned (false: nothing
 * changed): its outputs, its operation's final status and error, and `events`, in one round trip
 * (shipyard_finish_run, migration 018).
 */
export async function finishRun(
  db: Queryable,
  runId: string,
  r: { outputs: Record<string, string>; status: RunStatus; error: string | null; events: EventInput[] },
  /** Changed step rows and events written first, in the same round trip (shipyard_flush_and_finish_run, migration 025). */
  flush?: { rows: StepRow[]; events: EventInput[] },
): Promise<boolean> {
  const finish = [JSON.stringify(r.outputs), r.status, r.error, ...appendEventsParams(runId, r.events).slice(1)];
  const res = flush
    ? await db.query<{ finished: boolean }>(
        `select shipyard_flush_and_finish_run($1, $2::text[], $3::text[], $4::jsonb[], $5::int[], $6::text[], $7::bool[], $8::int[], $9::text[], $10::jsonb[],
           $11::text[], $12, $13, $14, $15::text[], $16::jsonb[], $17::text[]) as finished`,
        [...flushRunParams(runId, flush.rows, flush.events), ...finish],
      )
    : await db.query<{ finished: boolean }>("select shipyard_finish_run($1, $2, $3, $4, $5::text[], $6::jsonb[], $7::text[]) as finished", [runId, ...finish]);
  return res.rows[0]?.finished === true;
}

/** Lock the operation of a run of a workspace; its status, or null when there is no such run. */
export async function lockRunOfWorkspace(db: Queryable, workspaceId: string, id: string): Promise<RunStatus | null> {
  const res = await db.query<{ status: RunStatus }>(
    "select o.status from operations o join runs r on r.id = o.id where o.id = $1 and r.workspace_id = $2 for update of o",
    [id, workspaceId],
  );
  return res.rows[0]?.status ?? null;
}

/** Record that a run's cancel was requested (the first time counts). */
export async function requestRunCancel(db: Queryable, runId: string): Promise<void> {
  await db.query("update runs set cancel_requested_at = coalesce(cancel_requested_at, now()) where id = $1", [runId]);
}

/** Every step of a run that had not started is cancelled (a pending run's). */
export async function cancelAllSteps(db: Queryable, runId: string): Promise<void> {
  await db.query("update run_steps set status = 'cancelled' where run_id = $1", [runId]);
}

/** Cancel the unfinished ones of some steps, each with its error unless it has one; returns those changed. */
export async function cancelSteps(db: Queryable, runId: string, errors: Map<string, string>): Promise<{ step_id: string; attempt: number }[]> {
  const steps = await db.query<{ step_id: string; attempt: number }>(
    `update run_steps set status = 'cancelled', error = coalesce(error, (select e from unnest($2::text[], $3::text[]) as x(id, e) where x.id = step_id)),
       finished_at = now()
     where run_id = $1 and step_id = any($2::text[]) and status not in ('succeeded', 'failed', 'skipped', 'cancelled')
     returning step_id, attempt`,
    [runId, [...errors.keys()], [...errors.values()]],
  );
  return steps.rows;
}

/** Cancel every unfinished step of a run with `error` (unless it has one); returns those changed. */
export async function cancelUnfinishedSteps(db: Queryable, runId: string, error: string): Promise<{ step_id: string; attempt: number }[]> {
  const steps = await db.query<{ step_id: string; attempt: number }>(
    `update run_steps set status = 'cancelled', error = coalesce(error, $2), finished_at = coalesce(finished_at, now())
     where run_id = $1 and status not in ('succeeded', 'failed', 'skipped', 'cancelled') returning step_id, attempt`,
    [runId, error],
  );
  return steps.rows;
}

/** Pending runs whose workflow was never enqueued (a crash right after the insert), older than 10 s. */
export async function unstartedRuns(db: Queryable): Promise<{ id: string; workspace_id: string; concurrency_key: string | null }[]> {
  const res = await db.query<{ id: string; workspace_id: string; concurrency_key: string | null }>(
    `select r.id, r.workspace_id, r.concurrency_key from runs r join operations o on o.id = r.id
     left join dbos.workflow_status w on w.workflow_uuid = r.id
     where o.status = 'pending' and w.workflow_uuid is null and o.created_at < now() - interval '10 seconds'`,
  );
  return res.rows;
}

/** Unfinished runs whose DBOS workflow is in one of `statuses` (it will never finish them). */
export async function runsWithWorkflowIn(
  db: Queryable,
  statuses: readonly string[],
): Promise<{ id: string; wf_status: string; wf_error: string | null; attempts: number }[]> {
  const res = await db.query<{ id: string; wf_status: string; wf_error: string | null; attempts: number }>(
    `select r.id, w.status as wf_status, w.error as wf_error, coalesce(w.recovery_attempts, 0)::int as attempts
     from runs r join operations o on o.id = r.id join dbos.workflow_status w on w.workflow_uuid = r.id
     where o.status in ('pending', 'running') and w.status = any($1::text[])`,
    [statuses],
  );
  return res.rows;
}

/**
 * What a run's workflow has waiting (see src/runs/wake.ts): the run finished (by an advance made where a result
 * arrived), task results a runner stored (tasks), or an unconsumed DBOS message to it (DBOS's notifications
 * table, topic `run`); null: nothing.
 */
export async function pendingRunWork(db: Queryable, runId: string): Promise<"reports" | "messages" | { finished: RunStatus } | null> {
  const res = await db.query<{ reports: boolean; messages: boolean; status: RunStatus | null }>(
    `select exists (select 1 from tasks where operation_id = $1 and status = 'reported' and result is not null) as reports,
       exists (select 1 from dbos.notifications where destination_uuid = $1 and topic = 'run' and consumed = false) as messages,
       (select status from operations where id = $1) as status`,
    [runId],
  );
  const row = res.rows[0];
  if (row?.status && isFinalStatus(row.status)) return { finished: row.status };
  return row?.messages ? "messages" : row?.reports ? "reports" : null;
}
