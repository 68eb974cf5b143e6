// The `tasks` table: every statement that reads or writes it. A task is one attempt of a step (of a run or a
// job stage) at one dispatch; its status goes queued → assigned → reported → done, or cancelled.
import type { Queryable } from "../db/pool.ts";
import { SERVER_TASK_KINDS, type AnyTaskSpec, type AssignedTask, type ServerTaskKind, type ServerTaskSpec, type TaskHolder, type TaskSpec } from "./spec.ts";

/** A server-run task and its kind. */
export interface ServerTaskRef {
  id: string;
  kind: ServerTaskKind;
}
import { RUN_WAKE_CHANNEL, type TaskResult } from "./messages.ts";

/** A task row as stored. */
export interface TaskRow {
  id: string;
  operation_id: string;
  step_id: string;
  attempt: number;
  dispatch: number;
  spec: TaskSpec;
  runner_id: string | null;
  workspace_id: string;
  workflow_id: string;
  secret_env: Record<string, string>;
}

/** A settled report: the task's attempt and spec. */
export interface SettledAttempt {
  attempt: number;
  spec: AnyTaskSpec;
}

/**
 * Insert a queued task (idempotent) and, when created now, assign it to the least busy online runner that may
 * take it, marking its run step running with its event and NOTIFYing that runner's server (or that a task of the
 * workspace waits): one round trip, shipyard_enqueue_and_place_task (migration 018), with what `first` says is
 * written before it (migrations 025, 026). Returns whether it was created and, when it was placed, the runner
 * (id and name) and the dispatch.
 */
export async function insertAndPlaceTask(
  db: Queryable,
  t: { id: string; operationId: string; stepId: string; attempt: number; workspaceId: string; workflowId: string; spec: TaskSpec; pinnedRunnerId: string | null; secretEnv: Record<string, string> },
  first?: WrittenFirst,
): Promise<{ created: boolean; placed: { runnerId: string; runner: string; dispatch: number } | null }> {
  type Placed = { r_created: boolean; r_runner: string | null; r_runner_id: string | null; r_dispatch: number | null; r_created_at?: Date };
  const task = [t.id, t.stepId, t.attempt, t.workspaceId, t.workflowId, JSON.stringify(t.spec), t.pinnedRunnerId, JSON.stringify(t.secretEnv)];
  const res = await db.query<Placed>(...placeStatement(t.operationId, task, first));
  const row = res.rows[0];
  if (first?.create && row?.r_created_at) first.create.createdAt = row.r_created_at;
  const placed = row?.r_runner_id && row.r_runner && row.r_dispatch !== null ? { runnerId: row.r_runner_id, runner: row.r_runner, dispatch: row.r_dispatch } : null;
  return { created: row?.r_created ?? false, placed };
}

/** The statement (and its parameters) that places a task, writing what `first` says before it (`task`: the task's eight). */
function placeStatement(operationId: string, task: unknown[], first?: WrittenFirst): [string, unknown[]] {
  if (first?.create) {
    return [
      `select * from shipyard_create_run_and_place($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::text[], $11::text[], $12::jsonb[], $13::text[],
         $14::text[], $15::text[], $16::jsonb[], $17::int[], $18::text[], $19::bool[], $20::int[], $21::text[], $22::jsonb[], $23::text[],
         $24, $25, $26, $27, $28, $29, $30, $31)`,
      [...first.create.params, ...first.flush.slice(1), ...task],
    ];
  }
  if (first) {
    return [
      `select * from shipyard_flush_run_and_place_task($1, $2::text[], $3::text[], $4::jsonb[], $5::int[], $6::text[], $7::bool[], $8::int[], $9::text[],
         $10::jsonb[], $11::text[], $12, $13, $14, $15, $16, $17, $18, $19)`,
      [...first.flush, ...task],
    ];
  }
  const [id, ...rest] = task;
  return ["select * from shipyard_enqueue_and_place_task($1, $2, $3, $4, $5, $6, $7, $8, $9)", [id, operationId, ...rest]];
}

/**
 * What the statement placing a run's task writes first, in the same round trip: the run's pending step rows and
 * events (the parameters of shipyard_flush_run, from the run's store), and for a run's first advance made as it
 * is created, the run itself (shipyard_create_run's parameters; its created_at is told back here).
 */
export interface WrittenFirst {
  flush: readonly unknown[];
  create?: { params: readonly unknown[]; createdAt?: Date };
}

/** Insert a task the server runs itself, already `assigned` as dispatch 1 to no runner (idempotent); true when created now. */
export async function insertServerTask(
  db: Queryable,
  t: { id: string; operationId: string; stepId: string; attempt: number; workspaceId: string; spec: ServerTaskSpec },
): Promise<boolean> {
  const created = await db.query(
    `insert into tasks (id, operation_id, step_id, attempt, workspace_id, workflow_id, spec, status, dispatch, assigned_at)
     values ($1, $2, $3, $4, $5, $2, $6, 'assigned', 1, now()) on conflict (id) do nothing`,
    [t.id, t.operationId, t.stepId, t.attempt, t.workspaceId, JSON.stringify(t.spec)],
  );
  return created.rowCount !== 0;
}

/**
 * Assign to an online runner up to its free slots of the queued tasks it may serve, oldest first (a cancelled
 * run's main steps never), each step marked running with its event, under the runner's row lock: one
 * statement (shipyard_claim_tasks, migrations 018 and 025). Tasks in `done` are not counted as busy (the runner
 * has sent their results, which are not settled yet). Returns every task assigned to the runner, but those, when
 * it assigned any (none: nothing was claimed).
 */
export async function claimTasks(db: Queryable, runnerId: string, done: readonly string[] = []): Promise<AssignedTask[]> {
  // With the runner's assigned tasks when it claimed any, so that sending them takes no read of its own (migration 025).
  const claimed = await db.query<TaskRow>("select * from shipyard_claim_and_list_tasks($1, $2::text[])", [runnerId, done]);
  return claimed.rows.map(toAssigned);
}

/** True when a task waits that this runner (of `workspaceId`, null: the shared pool) could claim; unlocked. */
export async function hasClaimableTask(db: Queryable, workspaceId: string | null, runnerId: string): Promise<boolean> {
  const waiting = await db.query(
    `select 1 from tasks where status = 'queued' and ($1::text is null or workspace_id = $1)
       and (pinned_runner_id is null or pinned_runner_id = $2) limit 1`,
    [workspaceId, runnerId],
  );
  return (waiting.rowCount ?? 0) > 0;
}

/** Tasks assigned to a runner. */
export async function assignedTasks(db: Queryable, runnerId: string): Promise<AssignedTask[]> {
  const res = await db.query<TaskRow>("select * from tasks where runner_id = $1 and status = 'assigned' order by assigned_at", [runnerId]);
  return res.rows.map(toAssigned);
}

const toAssigned = (t: TaskRow): AssignedTask => ({
  message: { taskId: t.id, dispatch: t.dispatch, runId: t.operation_id, stepId: t.step_id, attempt: t.attempt, spec: t.spec },
  workflowId: t.workflow_id,
  workspaceId: t.workspace_id,
  secretEnv: t.secret_env,
});

/** The current holder of a task (null for an unknown task id). */
export async function taskHolder(db: Queryable, id: string): Promise<TaskHolder | null> {
  const res = await db.query<{ operation_id: string; step_id: string; attempt: number; dispatch: number; runner_id: string | null; status: string }>(
    "select operation_id, step_id, attempt, dispatch, runner_id, status from tasks where id = $1",
    [id],
  );
  const t = res.rows[0];
  return t ? { operationId: t.operation_id, stepId: t.step_id, attempt: t.attempt, dispatch: t.dispatch, runnerId: t.runner_id, status: t.status } : null;
}

/**
 * Record a runner's result for a task it holds: only that dispatch, still assigned, and to that very runner
 * (a result for anyone else's task changes nothing). Returns the workflow to tell and whether a queued task
 * waits that this runner (of `workspaceId`, null: the shared pool) may claim now that its slot is free (in the
 * same round trip, unlocked), or null when nothing matched.
 */
export async function reportTaskResult(
  db: Queryable,
  r: { taskId: string; dispatch: number; runnerId: string; workspaceId: string | null; result: unknown },
): Promise<{ workflowId: string; claimable: boolean; ofRun: boolean } | null> {
  // The NOTIFY wakes a run workflow waiting in another process (src/runs/wake.ts); other kinds get a message.
  const res = await db.query<{ workflow_id: string; claimable: boolean; of_run: boolean }>(
    `update tasks t set status = 'reported', result = $4 where id = $1 and dispatch = $2 and runner_id = $3 and status = 'assigned'
     returning workflow_id, exists (select 1 from tasks q where q.status = 'queued' and ($5::text is null or q.workspace_id = $5)
       and (q.pinned_runner_id is null or q.pinned_runner_id = $3)) as claimable,
       exists (select 1 from operations o where o.id = t.operation_id and o.kind = 'workflow') as of_run,
       pg_notify($6, workflow_id || ' report:' || id || '#' || dispatch)`,
    [r.taskId, r.dispatch, r.runnerId, JSON.stringify(r.result), r.workspaceId, RUN_WAKE_CHANNEL],
  );
  const row = res.rows[0];
  return row ? { workflowId: row.workflow_id, claimable: row.claimable, ofRun: row.of_run } : null;
}

/** The workflow of a task `runnerId` has already reported at that dispatch (a repeated result), or null. */
export async function reportedWorkflow(db: Queryable, taskId: string, dispatch: number, runnerId: string): Promise<{ workflowId: string; ofRun: boolean } | null> {
  const res = await db.query<{ workflow_id: string; of_run: boolean }>(
    `select workflow_id, exists (select 1 from operations o where o.id = t.operation_id and o.kind = 'workflow') as of_run
     from tasks t where id = $1 and dispatch = $2 and runner_id = $3 and status = 'reported'`,
    [taskId, dispatch, runnerId],
  );
  const row = res.rows[0];
  return row ? { workflowId: row.workflow_id, ofRun: row.of_run } : null;
}

/** Mark a task's result at that dispatch done (from assigned or reported); null for a stale or repeated report. */
export async function settleTask(db: Queryable, id: string, dispatch: number, result: unknown): Promise<SettledAttempt | null> {
  const res = await db.query<SettledAttempt>(
    `update tasks set status = 'done', result = $3, finished_at = now()
     where id = $1 and dispatch = $2 and status in ('assigned', 'reported') returning attempt, spec`,
    [id, dispatch, JSON.stringify(result)],
  );
  return res.rows[0] ?? null;
}

/** Mark a task whose runner went away done, with `result`; null when it finished or was handed out again meanwhile. */
export async function settleLostTask(db: Queryable, id: string, dispatch: number, result: unknown): Promise<SettledAttempt | null> {
  const res = await db.query<SettledAttempt>(
    `update tasks set status = 'done', result = $3, finished_at = now() where id = $1 and dispatch = $2 and status = 'assigned' returning attempt, spec`,
    [id, dispatch, JSON.stringify(result)],
  );
  return res.rows[0] ?? null;
}

/** Take (mark done) every reported task of an operation whose result is stored; returns them. */
export async function takeReportedTasks(db: Queryable, operationId: string): Promise<(SettledAttempt & { result: TaskResult })[]> {
  const res = await db.query<SettledAttempt & { result: TaskResult }>(
    `update tasks set status = 'done', finished_at = now() where operation_id = $1 and status = 'reported' and result is not null
     returning result, attempt, spec`,
    [operationId],
  );
  return res.rows;
}

/** Runner tasks of an operation held by runners that are gone or offline. */
export async function orphanedTasks(db: Queryable, operationId: string): Promise<{ id: string; dispatch: number }[]> {
  const res = await db.query<{ id: string; dispatch: number }>(
    `select t.id, t.dispatch from tasks t left join runners r on r.id = t.runner_id
     where t.operation_id = $1 and t.status = 'assigned' and (r.id is null or r.status <> 'online')
       and not (coalesce(t.spec->>'kind', '') = any($2::text[]))`,
    [operationId, SERVER_TASK_KINDS],
  );
  return res.rows;
}

/** An operation's server-run tasks that are running, with their kind (which workflow runs them). */
export async function runningServerTasks(db: Queryable, operationId: string): Promise<ServerTaskRef[]> {
  const res = await db.query<ServerTaskRef>(
    "select id, spec->>'kind' as kind from tasks where operation_id = $1 and status = 'assigned' and spec->>'kind' = any($2::text[])",
    [operationId, SERVER_TASK_KINDS],
  );
  return res.rows;
}

/**
 * Cancel a run's queued and assigned main-step tasks, skipping rows a claim holds (waiting on them would
 * deadlock with the claim); returns them with the status each had.
 */
export async function cancelActiveMainTasks(
  db: Queryable,
  runId: string,
): Promise<{ id: string; runner_id: string | null; was: string; step_id: string; attempt: number }[]> {
  const stopped = await db.query<{ id: string; runner_id: string | null; was: string; step_id: string; attempt: number }>(
    `with old as (
       select t.id, t.status from tasks t join run_steps s on s.run_id = t.operation_id and s.step_id = t.step_id
       where t.operation_id = $1 and t.status in ('queued', 'assigned') and s.phase = 'main' for update of t skip locked)
     update tasks t set status = 'cancelled', finished_at = now() from old where t.id = old.id
     returning t.id, t.runner_id, old.status as was, t.step_id, t.attempt`,
    [runId],
  );
  return stopped.rows;
}

/** Cancel every unfinished task of an operation (skipping rows a claim holds); returns them with the status each had. */
export async function cancelOperationTasks(db: Queryable, operationId: string): Promise<{ id: string; runner_id: string | null; status: string }[]> {
  const tasks = await db.query<{ id: string; runner_id: string | null; status: string }>(
    `with old as (select id, status from tasks where operation_id = $1 and status in ('queued', 'assigned', 'reported') for update skip locked)
     update tasks t set status = 'cancelled', finished_at = now() from old where t.id = old.id returning t.id, t.runner_id, old.status`,
    [operationId],
  );
  return tasks.rows;
}

/** Cancel the running tasks of one attempt of a job (returned, to be killed) and settle its waiting ones. */
export async function stopAttemptTaskRows(db: Queryable, jobId: string, attempt: number): Promise<{ id: string; runner_id: string | null }[]> {
  const running = await db.query<{ id: string; runner_id: string | null }>(
    "update tasks set status = 'cancelled', finished_at = now() where operation_id = $1 and attempt = $2 and status = 'assigned' returning id, runner_id",
    [jobId, attempt],
  );
  await db.query("update tasks set status = 'done', finished_at = now() where operation_id = $1 and attempt = $2 and status in ('queued', 'reported')", [jobId, attempt]);
  return running.rows;
}

/** Mark a task done at that dispatch (a job stage took its result). */
export async function markTaskDone(db: Queryable, id: string, dispatch: number): Promise<void> {
  await db.query("update tasks set status = 'done', finished_at = now() where id = $1 and dispatch = $2", [id, dispatch]);
}

/** A task's status and stored result, with the status of the runner `runnerId`. */
export async function taskWithRunnerStatus(db: Queryable, runnerId: string, id: string): Promise<{ runner: string | null; status: string; result: TaskResult | null } | null> {
  const res = await db.query<{ runner: string | null; status: string; result: TaskResult | null }>(
    "select (select status from runners where id = $1) as runner, status, result from tasks where id = $2",
    [runnerId, id],
  );
  return res.rows[0] ?? null;
}

/** A server-run task as its child workflow reads it. */
export interface ServerTaskRow {
  operation_id: string;
  /** Absent in checkpoints written before it was selected. */
  step_id?: string;
  attempt?: number;
  workspace_id: string;
  dispatch: number;
  status: string;
  spec: ServerTaskSpec;
}

/** A server-run task whose spec is of one kind. */
export type ServerTaskOf<K extends ServerTaskKind> = ServerTaskRow & { spec: Extract<ServerTaskSpec, { kind: K }> };

/** True when the task is of kind `kind` (narrowing its spec). */
export function isServerTaskOf<K extends ServerTaskKind>(task: ServerTaskRow, kind: K): task is ServerTaskOf<K> {
  return task.spec.kind === kind;
}

/** A server-run task, or null. */
export async function loadServerTask(db: Queryable, id: string): Promise<ServerTaskRow | null> {
  const res = await db.query<ServerTaskRow>("select operation_id, step_id, attempt, workspace_id, dispatch, status, spec from tasks where id = $1", [id]);
  return res.rows[0] ?? null;
}

/** A task with the project of its job (null for a run's task), as the model endpoint checks it. */
export interface TaskWithProject {
  operation_id: string;
  step_id: string;
  attempt: number;
  dispatch: number;
  status: string;
  workspace_id: string;
  spec: TaskSpec;
  project_id: string | null;
}

/** A task with the project of its job or build, or null. */
export async function taskWithProject(db: Queryable, id: string): Promise<TaskWithProject | null> {
  const { rows } = await db.query<TaskWithProject>(
    `select t.operation_id, t.step_id, t.attempt, t.dispatch, t.status, t.workspace_id, t.spec, coalesce(j.project_id, b.project_id) as project_id
     from tasks t left join jobs j on j.id = t.operation_id left join builds b on b.id = t.operation_id where t.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

/** Tasks still assigned to runners offline for longer than `graceMs`. */
export async function tasksOfLostRunners(db: Queryable, graceMs: number): Promise<{ id: string; dispatch: number; workflow_id: string; name: string }[]> {
  const lost = await db.query<{ id: string; dispatch: number; workflow_id: string; name: string }>(
    `select t.id, t.dispatch, t.workflow_id, r.name from tasks t join runners r on r.id = t.runner_id
     where t.status = 'assigned' and r.status = 'offline' and r.last_seen_at < now() - make_interval(secs => $1::float / 1000)`,
    [graceMs],
  );
  return lost.rows;
}

/** Number of tasks waiting for a runner. */
export async function countQueuedTasks(db: Queryable): Promise<number> {
  const tasks = await db.query<{ n: number }>("select count(*)::int as n from tasks where status = 'queued'");
  return tasks.rows[0]?.n ?? 0;
}
