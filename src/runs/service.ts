import { DBOS } from "@dbos-inc/dbos-sdk";
import { inTransaction, type Pool, type Queryable } from "../db/pool.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import type { RunStatus, StepStatus } from "../domain/statuses.ts";
import { appendEvents, appendEventsParams, type EventInput } from "../events/store.ts";
import { ExpressionError, InputError, interpolate, parseWorkflow, resolveInputs, type WorkflowDef } from "../workflows/index.ts";
import { RUN_TOPIC, type RunMessage } from "../tasks/messages.ts";
import { KEYED_RUNS_QUEUE } from "../engine/queues.ts";
import { allSteps } from "./state.ts";
import { runWorkflow } from "./workflow.ts";
import { forceFinishRun, isDeadWorkflow, stopRunTasks } from "./finish.ts";
import { withNetworkDefaults } from "./step-task.ts";
import { workspaceSettings } from "../jobs/projects.ts";
import { assertModelKeys, workflowModelUses } from "../models/keys.ts";
import type { SecretStore } from "../secrets/store.ts";

/** A run as the API shows it. */
export interface RunView {
  id: string;
  workflow: string;
  status: RunStatus;
  inputs: Record<string, unknown>;
  outputs: Record<string, string> | null;
  error: string | null;
  concurrencyKey: string | null;
  rerunOf: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  steps: StepView[];
}

export interface StepView {
  id: string;
  phase: "main" | "teardown";
  status: StepStatus;
  attempt: number;
  outputs: Record<string, string>;
  exitCode: number | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/**
 * Parse, validate and store a run, then enqueue its workflow. Throws 422 with every problem found, or when a
 * model it will call has no API key (with `secrets`: checked against the workspace's secrets and the environment).
 */
export async function createRun(
  pool: Pool,
  req: { workspaceId: string; source: string; inputs: Record<string, unknown>; rerunOf?: string; file?: string; secrets?: SecretStore },
): Promise<RunView> {
  const parsed = parseWorkflow(req.source, req.file ?? "workflow.yaml");
  if (!parsed.ok) {
    throw new ShipyardError("invalid_workflow", `the workflow has ${parsed.errors.length} problem(s)`, 422, parsed.errors);
  }
  const settings = await workspaceSettings(pool, req.workspaceId);
  if (req.secrets) await assertModelKeys(req.secrets, req.workspaceId, workflowModelUses(parsed.workflow, settings.defaultModel));
  const def = withNetworkDefaults(parsed.workflow, settings.stepNetwork);
  let inputs: Record<string, string | number | boolean>;
  try {
    inputs = resolveInputs(def, req.inputs);
  } catch (err) {
    if (err instanceof InputError) throw new ShipyardError("invalid_inputs", err.message, 422, err.problems);
    throw err;
  }
  let concurrencyKey: string | null = null;
  try {
    if (def.concurrency) concurrencyKey = interpolate(def.concurrency, { inputs, steps: {} });
  } catch (err) {
    // The key is computed from the inputs (`fromJSON(inputs.x)` on text that is not JSON): their problem, not ours.
    if (err instanceof ExpressionError) throw new ShipyardError("invalid_inputs", `concurrency: ${err.message}`, 422);
    throw err;
  }
  const id = newId("run");
  const steps = allSteps(def);
  const first: EventInput[] = [
    { type: "status", payload: { status: "pending", workflow: def.name, steps: steps.map((s) => ({ id: s.step.id, phase: s.phase })) }, dedupeKey: "status:pending" },
  ];
  // One statement (shipyard_create_run, migration 003): the operation, run, steps and first event, atomically.
  const created = await pool.query<{ created_at: Date }>(
    "select shipyard_create_run($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::text[], $11::text[], $12::jsonb[], $13::text[]) as created_at",
    [
      id,
      req.workspaceId,
      def.name,
      req.source,
      JSON.stringify(def),
      JSON.stringify(inputs),
      concurrencyKey,
      req.rerunOf ?? null,
      steps.map((s) => s.step.id),
      steps.map((s) => s.phase),
      ...appendEventsParams(id, first).slice(1),
    ],
  );
  await startRunWorkflow(req.workspaceId, id, concurrencyKey);
  // The run as created (the API documents the answer as the pending run): no need to read it back.
  return {
    id,
    workflow: def.name,
    status: "pending",
    inputs,
    outputs: null,
    error: null,
    concurrencyKey,
    rerunOf: req.rerunOf ?? null,
    createdAt: created.rows[0]!.created_at.toISOString(),
    startedAt: null,
    finishedAt: null,
    steps: steps.map((s) => ({
      id: s.step.id,
      phase: s.phase,
      status: "pending",
      attempt: 0,
      outputs: {},
      exitCode: null,
      error: null,
      startedAt: null,
      finishedAt: null,
    })),
  };
}

/** Enqueue the run's DBOS workflow; the run id is the workflow id, so a second call is a no-op. */
export async function startRunWorkflow(workspaceId: string, runId: string, concurrencyKey: string | null): Promise<void> {
  if (!concurrencyKey) {
    // Started here and now: a queue would make every run wait for its next poll (DBOS does not wake a queue
    // when its own process enqueues). The workflow's status row is written before it starts, so a crash
    // still recovers it. Runs with a concurrency key need the partitioned queue's one-at-a-time rule.
    await DBOS.startWorkflow(runWorkflow, { workflowID: runId })(runId);
    return;
  }
  await DBOS.startWorkflow(runWorkflow, {
    workflowID: runId,
    queueName: KEYED_RUNS_QUEUE,
    enqueueOptions: { queuePartitionKey: `${workspaceId}:${concurrencyKey}` },
  })(runId);
}

interface RunRow {
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

const RUN_COLUMNS = `r.id, r.workflow_name, o.status, r.inputs, r.outputs, o.error, r.concurrency_key, r.rerun_of,
  o.created_at, o.started_at, o.finished_at`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A run with its steps, or null when it is not in this workspace. */
export async function getRun(db: Queryable, workspaceId: string, id: string): Promise<RunView | null> {
  const res = await db.query<RunRow>(
    `select ${RUN_COLUMNS} from runs r join operations o on o.id = r.id where r.id = $1 and r.workspace_id = $2`,
    [id, workspaceId],
  );
  const row = res.rows[0];
  if (!row) return null;
  const steps = await db.query<{
    step_id: string;
    phase: "main" | "teardown";
    status: StepStatus;
    attempt: number;
    outputs: Record<string, string>;
    exit_code: number | null;
    error: string | null;
    started_at: Date | null;
    finished_at: Date | null;
  }>("select * from run_steps where run_id = $1 order by position", [id]);
  return {
    ...toView(row),
    steps: steps.rows.map((s) => ({
      id: s.step_id,
      phase: s.phase,
      status: s.status,
      attempt: s.attempt,
      outputs: s.outputs,
      exitCode: s.exit_code,
      error: s.error,
      startedAt: iso(s.started_at),
      finishedAt: iso(s.finished_at),
    })),
  };
}

function toView(row: RunRow): Omit<RunView, "steps"> {
  return {
    id: row.id,
    workflow: row.workflow_name,
    status: row.status,
    inputs: row.inputs,
    outputs: row.outputs,
    error: row.error,
    concurrencyKey: row.concurrency_key,
    rerunOf: row.rerun_of,
    createdAt: row.created_at.toISOString(),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}

/** Runs of a workspace, newest first, optionally filtered by status; `before` pages by run id. */
export async function listRuns(
  db: Queryable,
  workspaceId: string,
  opts: { status?: RunStatus; limit: number; before?: string },
): Promise<Omit<RunView, "steps">[]> {
  const res = await db.query<RunRow>(
    `select ${RUN_COLUMNS} from runs r join operations o on o.id = r.id
     where r.workspace_id = $1 and ($2::text is null or o.status = $2) and ($3::text is null or r.id < $3)
     order by r.id desc limit $4`,
    [workspaceId, opts.status ?? null, opts.before ?? null, opts.limit],
  );
  return res.rows.map(toView);
}

/**
 * Cancel a run. A pending run is cancelled on the spot (its queued workflow will find it so and do nothing);
 * a running one has its waiting steps cancelled and its running tasks killed at once, then gets a `cancel`
 * message: the workflow runs teardown and ends `cancelled`. A run whose workflow is no longer running (DBOS
 * gave up on it) is ended here, since nothing else would.
 */
export async function cancelRun(pool: Pool, workspaceId: string, id: string): Promise<RunView> {
  // First, in a transaction of its own, the request itself: once it commits, no runner claims a task of this run.
  const state = await inTransaction(pool, async (client) => {
    const res = await client.query<{ status: RunStatus }>(
      "select o.status from operations o join runs r on r.id = o.id where o.id = $1 and r.workspace_id = $2 for update of o",
      [id, workspaceId],
    );
    const status = res.rows[0]?.status;
    if (!status) throw notFound("run", id);
    if (status === "succeeded" || status === "failed" || status === "cancelled") {
      throw new ShipyardError("run_finished", `run ${id} already ${status}; nothing to cancel`, 409);
    }
    await client.query("update runs set cancel_requested_at = coalesce(cancel_requested_at, now()) where id = $1", [id]);
    if (status === "pending") {
      await client.query("update operations set status = 'cancelled', error = 'cancelled', finished_at = now() where id = $1", [id]);
      await client.query("update run_steps set status = 'cancelled' where run_id = $1", [id]);
      await appendEvents(client, id, [
        { type: "status", payload: { status: "cancelled" }, dedupeKey: "status:cancelled" },
        { type: "complete", payload: { status: "cancelled", outputs: {}, error: "cancelled before it started" }, dedupeKey: "complete" },
      ]);
    }
    return status;
  });
  if (state === "pending") {
    await DBOS.cancelWorkflow(id).catch(() => undefined);
    return (await getRun(pool, workspaceId, id))!;
  }
  await inTransaction(pool, async (client) => {
    await client.query("select 1 from operations where id = $1 for update", [id]);
    await stopRunTasks(client, id);
  });
  const workflow = await DBOS.getWorkflowStatus(id);
  if (isDeadWorkflow(workflow?.status)) {
    await inTransaction(pool, (client) => forceFinishRun(client, id, "cancelled", `cancelled (its workflow had stopped: ${workflow?.status ?? "missing"})`));
  } else {
    const msg: RunMessage = { type: "cancel" };
    await DBOS.send(id, msg, RUN_TOPIC, `cancel:${id}`);
  }
  return (await getRun(pool, workspaceId, id))!;
}

/** Start a new run of the same workflow text with the same inputs (its models' keys checked again with `secrets`). */
export async function rerun(pool: Pool, workspaceId: string, id: string, secrets?: SecretStore): Promise<RunView> {
  const res = await pool.query<{ source: string; inputs: Record<string, unknown> }>(
    "select source, inputs from runs where id = $1 and workspace_id = $2",
    [id, workspaceId],
  );
  const row = res.rows[0];
  if (!row) throw notFound("run", id);
  return createRun(pool, { workspaceId, source: row.source, inputs: row.inputs, rerunOf: id, secrets });
}

/** The stored definition of a run (for tools that render it). */
export async function runDefinition(db: Queryable, id: string): Promise<WorkflowDef | null> {
  const res = await db.query<{ definition: WorkflowDef }>("select definition from runs where id = $1", [id]);
  return res.rows[0]?.definition ?? null;
}
