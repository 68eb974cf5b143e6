import type { PoolClient, Queryable } from "../db/pool.ts";
import { appendEvents } from "../events/store.ts";
import { taskId } from "./task-id.ts";

/**
 * Hands shell steps to runners. Runners are remote processes connected to some server, so a DBOS queue
 * (which hands work to DBOS executors) cannot reach them; instead a task row is assigned to a runner with a
 * free slot under a row lock, and NOTIFY tells the server holding that runner's connection to send it.
 * Waiting for the result, retrying and timing out are the run workflow's job (DBOS), not this module's.
 */

export const DISPATCH_CHANNEL = "shipyard_dispatch";
export const QUEUED_CHANNEL = "shipyard_queued";
export const CANCEL_CHANNEL = "shipyard_cancel";

/** What a runner needs to execute one attempt of a step. */
export interface TaskSpec {
  command: string;
  env: Record<string, string>;
  timeoutMs?: number;
  delayMs?: number;
  /** The step's sandbox shares the host's network (it asked, or its workspace allows it by default). */
  network?: boolean;
  /** Host directories the sandbox also sees, at the same path: a job's local git remote. */
  mounts?: { path: string; writable: boolean }[];
  /** The task may call this model through the server (an agent); never sent to the runner as such. */
  modelAccess?: ModelAccess;
  /** Env variable → workspace secret, resolved when the task is sent (a missing secret is left out). */
  secretEnv?: Record<string, string>;
  /** Where the step runs, relative to the run's workspace; the runner refuses one that leads outside it. */
  workingDirectory?: string;
}

/** Which model a task's agent may call through the server's model endpoint, and the step's own budget. */
export interface ModelAccess {
  model: string;
  budgetUsd?: number;
}

/** What the server needs to run one attempt of an `llm` step itself (the prompt is already interpolated). */
export interface LlmTaskSpec {
  kind: "llm";
  model: string;
  prompt: string;
  schema?: Record<string, unknown>;
  timeoutMs?: number;
  delayMs?: number;
}

/** Any task's spec: a runner's shell step, or a step the server runs itself. */
export type AnyTaskSpec = TaskSpec | LlmTaskSpec;

/** True for specs the server executes: such tasks are never placed on a runner. */
export function isServerSpec(spec: AnyTaskSpec): spec is LlmTaskSpec {
  return (spec as { kind?: unknown }).kind === "llm";
}

/** A task as sent to a runner. */
export interface TaskMessage {
  taskId: string;
  dispatch: number;
  runId: string;
  stepId: string;
  attempt: number;
  spec: TaskSpec;
}

interface TaskRow {
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

/** A task assigned to a runner: the message for it plus what only the server needs. */
export interface AssignedTask {
  message: TaskMessage;
  workflowId: string;
  workspaceId: string;
  secretEnv: Record<string, string>;
}

/** Create a task (idempotent) and give it to a runner with a free slot when one is online. */
export async function enqueueTask(
  client: PoolClient,
  t: {
    runId: string;
    stepId: string;
    attempt: number;
    workspaceId: string;
    spec: TaskSpec;
    /** The workflow to tell about the result (default: the operation's own workflow, id = runId). */
    workflowId?: string;
    pinnedRunnerId?: string;
    secretEnv?: Record<string, string>;
  },
): Promise<string> {
  const id = taskId(t.runId, t.stepId, t.attempt);
  const created = await client.query(
    `insert into tasks (id, operation_id, step_id, attempt, workspace_id, workflow_id, spec, status, pinned_runner_id, secret_env)
     values ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9) on conflict (id) do nothing`,
    [id, t.runId, t.stepId, t.attempt, t.workspaceId, t.workflowId ?? t.runId, JSON.stringify(t.spec), t.pinnedRunnerId ?? null, JSON.stringify(t.secretEnv ?? t.spec.secretEnv ?? {})],
  );
  if (created.rowCount !== 0) await placeTask(client, id, t.workspaceId);
  return id;
}

/**
 * Create a task the server executes itself (idempotent). It is `assigned` at once, as dispatch 1, to no
 * runner: placeTask and claimQueuedTasks only take `queued` tasks and runners only see tasks with their own
 * runner_id, so no runner ever gets it; its result comes back as the same `result` message a runner's would.
 */
export async function createServerTask(
  client: PoolClient,
  t: { runId: string; stepId: string; attempt: number; workspaceId: string; spec: LlmTaskSpec },
): Promise<string> {
  const id = taskId(t.runId, t.stepId, t.attempt);
  const created = await client.query(
    `insert into tasks (id, operation_id, step_id, attempt, workspace_id, workflow_id, spec, status, dispatch, assigned_at)
     values ($1, $2, $3, $4, $5, $2, $6, 'assigned', 1, now()) on conflict (id) do nothing`,
    [id, t.runId, t.stepId, t.attempt, t.workspaceId, JSON.stringify(t.spec)],
  );
  if (created.rowCount !== 0) {
    await client.query(
      "update run_steps set runner_id = null, started_at = coalesce(started_at, now()) where run_id = $1 and step_id = $2",
      [t.runId, t.stepId],
    );
  }
  return id;
}

/** Assign a queued task to the least busy online runner of its workspace, or announce it as waiting. */
export async function placeTask(client: PoolClient, id: string, workspaceId: string): Promise<void> {
  const runner = await client.query<{ id: string; name: string }>(
    `select r.id, r.name from runners r
     where r.status = 'online' and (r.workspace_id is null or r.workspace_id = $1)
       and coalesce((select pinned_runner_id from tasks where id = $2), r.id) = r.id
       and r.slots > (select count(*) from tasks t where t.runner_id = r.id and t.status = 'assigned')
     order by (select count(*) from tasks t where t.runner_id = r.id and t.status = 'assigned'), r.connected_at
     limit 1 for update of r skip locked`,
    [workspaceId, id],
  );
  const r = runner.rows[0];
  if (!r) {
    await client.query("select pg_notify($1, $2)", [QUEUED_CHANNEL, workspaceId]);
    return;
  }
  const assigned = await client.query<TaskRow>(
    `update tasks set status = 'assigned', runner_id = $2, dispatch = dispatch + 1, assigned_at = now()
     where id = $1 and status = 'queued' returning *`,
    [id, r.id],
  );
  const row = assigned.rows[0];
  if (row) await markStepRunning(client, row, r.name);
}

/** Claim up to the runner's free slots from the queued tasks it may serve, oldest first. */
export async function claimQueuedTasks(client: PoolClient, runnerId: string): Promise<number> {
  const runner = await client.query<{ name: string; workspace_id: string | null; free: number; status: string }>(
    `select r.name, r.workspace_id, r.status,
            r.slots - (select count(*) from tasks t where t.runner_id = r.id and t.status = 'assigned')::int as free
     from runners r where r.id = $1 for update`,
    [runnerId],
  );
  const r = runner.rows[0];
  if (!r || r.status !== "online" || r.free <= 0) return 0;
  const claimed = await client.query<TaskRow>(
    `with picked as (
       select id from tasks t where status = 'queued' and ($2::text is null or workspace_id = $2)
         and (pinned_runner_id is null or pinned_runner_id = $1)
         -- a cancelled run's main steps never start (its teardown does)
         and not exists (select 1 from runs r join run_steps s on s.run_id = r.id and s.step_id = t.step_id
                         where r.id = t.operation_id and r.cancel_requested_at is not null and s.phase = 'main')
       order by created_at limit $3 for update skip locked)
     update tasks t set status = 'assigned', runner_id = $1, dispatch = t.dispatch + 1, assigned_at = now()
     from picked where t.id = picked.id returning t.*`,
    [runnerId, r.workspace_id, r.free],
  );
  for (const row of claimed.rows) await markStepRunning(client, row, r.name);
  return claimed.rowCount ?? 0;
}

async function markStepRunning(client: PoolClient, task: TaskRow, runnerName: string): Promise<void> {
  await client.query(
    `update run_steps set status = 'running', runner_id = $3, started_at = coalesce(started_at, now())
     where run_id = $1 and step_id = $2 and status not in ('succeeded', 'failed', 'skipped', 'cancelled')`,
    [task.operation_id, task.step_id, task.runner_id],
  );
  await appendEvents(client, task.operation_id, [
    {
      type: "step",
      payload: { stepId: task.step_id, status: "running", attempt: task.attempt, runner: runnerName },
      dedupeKey: `step:${task.step_id}:${task.attempt}:running:${task.dispatch}`,
    },
  ]);
  await client.query("select pg_notify($1, $2)", [DISPATCH_CHANNEL, task.runner_id]);
}

/** Tasks assigned to a runner. */
export async function assignedTasks(db: Queryable, runnerId: string): Promise<AssignedTask[]> {
  const res = await db.query<TaskRow>(
    "select * from tasks where runner_id = $1 and status = 'assigned' order by assigned_at",
    [runnerId],
  );
  return res.rows.map((t) => ({
    message: { taskId: t.id, dispatch: t.dispatch, runId: t.operation_id, stepId: t.step_id, attempt: t.attempt, spec: t.spec },
    workflowId: t.workflow_id,
    workspaceId: t.workspace_id,
    secretEnv: t.secret_env,
  }));
}

/** Who holds a task now: enough for the gateway to decide whether a runner's frame for it is genuine. */
export interface TaskHolder {
  operationId: string;
  stepId: string;
  attempt: number;
  dispatch: number;
  runnerId: string | null;
  status: string;
}

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
 * (a result for anyone else's task changes nothing). Returns the workflow to tell, or null when nothing matched.
 */
export async function reportTaskResult(db: Queryable, r: { taskId: string; dispatch: number; runnerId: string; result: unknown }): Promise<string | null> {
  const res = await db.query<{ workflow_id: string }>(
    `update tasks set status = 'reported', result = $4 where id = $1 and dispatch = $2 and runner_id = $3 and status = 'assigned'
     returning workflow_id`,
    [r.taskId, r.dispatch, r.runnerId, JSON.stringify(r.result)],
  );
  return res.rows[0]?.workflow_id ?? null;
}

/** The workflow of a task `runnerId` has already reported at that dispatch (a repeated result), or null. */
export async function reportedWorkflow(db: Queryable, taskId: string, dispatch: number, runnerId: string): Promise<string | null> {
  const res = await db.query<{ workflow_id: string }>(
    "select workflow_id from tasks where id = $1 and dispatch = $2 and runner_id = $3 and status = 'reported'",
    [taskId, dispatch, runnerId],
  );
  return res.rows[0]?.workflow_id ?? null;
}

/** Ask the server holding a runner to kill a task's process tree (runnerId null: the server making a server-run task's model call aborts it). */
export async function requestKill(client: PoolClient, runnerId: string | null, id: string): Promise<void> {
  await client.query("select pg_notify($1, $2)", [CANCEL_CHANNEL, JSON.stringify({ runnerId, taskId: id })]);
}
