import { inTransaction, type Pool, type Queryable } from "../db/pool.ts";
import { RUN_ID_PREFIX } from "./wake.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import { isFinalStatus, type RunStatus, type StepStatus } from "../domain/statuses.ts";
import { appendEvents, type EventInput } from "../events/store.ts";
import { finishOperation, lockOperation } from "../operations/store.ts";
import { ExpressionError, InputError, interpolate, parseWorkflowMemo, resolveInputs } from "../workflows/index.ts";
import type { RunMessage } from "../tasks/messages.ts";
import type { OperationDeps, WorkflowControl } from "../engine/control.ts";
import { KEYED_RUNS_QUEUE } from "../engine/queues.ts";
import { allSteps } from "./state.ts";
import { RUN_WORKFLOW } from "./workflow.ts";
import { advanceRun } from "./advance.ts";
import { forceFinishRun, isDeadWorkflow, stopRunTasks } from "./finish.ts";
import { withApiRole, withNetworkDefaults } from "./step-task.ts";
import { cancelAllSteps, createRunParams, getRunRow, insertRun, listRunRows, lockRunOfWorkspace, requestRunCancel, runDefinition, runSource, runStepRows, type NewRun, type RunFilter, type RunRow } from "./store.ts";
import { createAndStartRun, newRunState, onlyFirstPlacement } from "./first-advance.ts";
import { workspaceSettings } from "../workspaces/store.ts";
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
  /** The steps it waits for (the edges of the run's step graph). */
  needs: string[];
  status: StepStatus;
  attempt: number;
  outputs: Record<string, string>;
  exitCode: number | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** What a run is made from. */
export interface RunRequest {
  workspaceId: string;
  source: string;
  inputs: Record<string, unknown>;
  rerunOf?: string;
  file?: string;
  secrets?: SecretStore;
  /** The token that starts the run: its http steps call Shipyard's API with its role (absent: viewer). */
  startedBy?: RunStarter;
}

/** Who starts a run, as far as its http steps' calls care. */
export interface RunStarter {
  role: string;
  isAdmin: boolean;
}

/**
 * Parse, validate and store a run, then enqueue its workflow. Throws 422 with every problem found, or when a
 * model it will call has no API key (with `secrets`: checked against the workspace's secrets and the environment).
 */
export async function createRun(deps: OperationDeps, req: RunRequest): Promise<RunView> {
  const prepared = await prepareRun(deps.pool, req);
  const { record } = prepared;
  // A run without a concurrency key waits for nothing: its first steps are started here, which saves its
  // workflow a durable step (and the run the wait for the workflow to begin). A keyed run waits for its queue.
  if (record.concurrencyKey === null) {
    const state = newRunState({ id: record.id, workspaceId: record.workspaceId, definition: record.def, inputs: record.inputs });
    const first = onlyFirstPlacement(state);
    if (first !== null) {
      // Its workflow first, the run after (src/runs/first-advance.ts).
      await startRunWorkflow(deps.workflows, req.workspaceId, record.id, null, true);
      return prepared.view(await createAndStartRun(deps.pool, state, first, createRunParams(record), deps.handoff));
    }
  }
  const run = prepared.view(await insertRun(deps.pool, record));
  const startsHere = run.concurrencyKey === null;
  await startRunWorkflow(deps.workflows, req.workspaceId, run.id, run.concurrencyKey, startsHere);
  if (startsHere) await startRunSteps(deps, run.id);
  return run;
}

/**
 * The first advance of a run whose workflow was started waiting for messages (it is idempotent, like every
 * advance). When the workflow has something to do at once (start the child workflows of server-run steps, or
 * end because the run is already over), or when this fails, it is sent a `tick`, which makes it advance itself;
 * a crash before either is made good by its watchdog tick (a tick starts a pending run too).
 */
async function startRunSteps({ pool, workflows, handoff }: OperationDeps, runId: string): Promise<void> {
  const outcome = await advanceRun(pool, runId, { type: "start" }, handoff).catch(() => null);
  if (outcome && !outcome.finished && !outcome.serverTasks?.length) return;
  const tick: RunMessage = { type: "tick" };
  await workflows.send(runId, tick, `start:${runId}`);
}

/** Parse, validate and store a pending run (as createRun does), without enqueueing its workflow. */
export async function storeRun(pool: Pool, req: RunRequest): Promise<RunView> {
  const prepared = await prepareRun(pool, req);
  return prepared.view(await insertRun(pool, prepared.record));
}

/**
 * Parse and validate a run, writing nothing: the run to store and, once stored (at `createdAt`), the run as the
 * API answers with it (documented as the pending run: no need to read it back).
 */
async function prepareRun(pool: Pool, req: RunRequest): Promise<{ record: NewRun; view: (createdAt: Date) => RunView }> {
  const parsed = parseWorkflowMemo(req.source, req.file ?? "workflow.yaml");
  if (!parsed.ok) {
    throw new ShipyardError("invalid_workflow", `the workflow has ${parsed.errors.length} problem(s)`, 422, parsed.errors);
  }
  const settings = await workspaceSettings(pool, req.workspaceId);
  if (req.secrets) await assertModelKeys(req.secrets, req.workspaceId, workflowModelUses(parsed.workflow, settings.defaultModel));
  const def = withApiRole(withNetworkDefaults(parsed.workflow, settings.stepNetwork), req.startedBy);
  let inputs: Record<string, string | number | boolean>;
  try {
    inputs = resolveInputs(def, req.inputs);
  } catch (err) {
    if (err instanceof InputError) throw new ShipyardError("invalid_inputs", err.message, 422, err.problems, { cause: err });
    throw err;
  }
  let concurrencyKey: string | null = null;
  try {
    if (def.concurrency) concurrencyKey = interpolate(def.concurrency, { inputs, steps: {} });
  } catch (err) {
    // The key is computed from the inputs (`fromJSON(inputs.x)` on text that is not JSON): their problem, not ours.
    if (err instanceof ExpressionError) throw new ShipyardError("invalid_inputs", `concurrency: ${err.message}`, 422, undefined, { cause: err });
    throw err;
  }
  const id = newId(RUN_ID_PREFIX);
  const steps = allSteps(def);
  const first: EventInput[] = [
    { type: "status", payload: { status: "pending", workflow: def.name, steps: steps.map((s) => ({ id: s.step.id, phase: s.phase })) }, dedupeKey: "status:pending" },
  ];
  const record: NewRun = {
    id,
    workspaceId: req.workspaceId,
    def,
    source: req.source,
    inputs,
    concurrencyKey,
    rerunOf: req.rerunOf ?? null,
    steps: steps.map((s) => ({ id: s.step.id, phase: s.phase })),
    events: first,
  };
  const view = (createdAt: Date): RunView => ({
    id,
    workflow: def.name,
    status: "pending",
    inputs,
    outputs: null,
    error: null,
    concurrencyKey,
    rerunOf: req.rerunOf ?? null,
    createdAt: createdAt.toISOString(),
    startedAt: null,
    finishedAt: null,
    steps: steps.map((s) => ({
      id: s.step.id,
      phase: s.phase,
      needs: s.step.needs,
      status: "pending",
      attempt: 0,
      outputs: {},
      exitCode: null,
      error: null,
      startedAt: null,
      finishedAt: null,
    })),
  });
  return { record, view };
}

/**
 * Enqueue the run's DBOS workflow; the run id is the workflow id, so a second call is a no-op. With
 * `startedOutside`, the caller makes the run's first advance itself and the workflow begins by waiting.
 */
export async function startRunWorkflow(
  workflows: WorkflowControl,
  workspaceId: string,
  runId: string,
  concurrencyKey: string | null,
  startedOutside = false,
): Promise<void> {
  // Without a key, started at once: on a queue every run would wait for its next poll (DBOS does not wake a
  // queue when its own process enqueues). Its status row is written before it starts, so a crash still recovers
  // it. A process that runs no workflows puts it on the runs queue instead (see the WorkflowControl it holds).
  await workflows.start(
    RUN_WORKFLOW,
    { workflowId: runId, queue: concurrencyKey ? KEYED_RUNS_QUEUE : undefined, partitionKey: concurrencyKey ? `${workspaceId}:${concurrencyKey}` : undefined },
    runId,
    startedOutside,
  );
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A run with its steps, or null when it is not in this workspace. */
export async function getRun(db: Queryable, workspaceId: string, id: string): Promise<RunView | null> {
  const row = await getRunRow(db, workspaceId, id);
  if (!row) return null;
  const [steps, definition] = await Promise.all([runStepRows(db, id), runDefinition(db, id)]);
  const needs = new Map([...(definition?.steps ?? []), ...(definition?.teardown ?? [])].map((d) => [d.id, d.needs ?? []]));
  return {
    ...toView(row),
    steps: steps.map((s) => ({
      id: s.step_id,
      phase: s.phase,
      needs: needs.get(s.step_id) ?? [],
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

/**
 * Runs of a workspace, newest first, filtered; `before` pages by run id (ids sort by creation time) and
 * `nextCursor` is the `before` of the next page, null on the last one.
 */
export async function listRuns(db: Queryable, workspaceId: string, filter: RunFilter): Promise<{ runs: Omit<RunView, "steps">[]; nextCursor: string | null }> {
  const rows = await listRunRows(db, workspaceId, filter);
  return { runs: rows.map(toView), nextCursor: rows.length === filter.limit ? rows[rows.length - 1]!.id : null };
}

/**
 * Cancel a run. A pending run is cancelled on the spot (its queued workflow will find it so and do nothing);
 * a running one has its waiting steps cancelled and its running tasks killed at once, then gets a `cancel`
 * message: the workflow runs teardown and ends `cancelled`. A run whose workflow is no longer running (DBOS
 * gave up on it) is ended here, since nothing else would.
 */
export async function cancelRun({ pool, workflows }: OperationDeps, workspaceId: string, id: string): Promise<RunView> {
  // First, in a transaction of its own, the request itself: once it commits, no runner claims a task of this run.
  const state = await inTransaction(pool, async (client) => {
    const status = await lockRunOfWorkspace(client, workspaceId, id);
    if (!status) throw notFound("run", id);
    if (isFinalStatus(status)) {
      throw new ShipyardError("run_finished", `run ${id} already ${status}; nothing to cancel`, 409);
    }
    await requestRunCancel(client, id);
    if (status === "pending") {
      await finishOperation(client, id, "cancelled", "cancelled");
      await cancelAllSteps(client, id);
      await appendEvents(client, id, [
        { type: "status", payload: { status: "cancelled" }, dedupeKey: "status:cancelled" },
        { type: "complete", payload: { status: "cancelled", outputs: {}, error: "cancelled before it started" }, dedupeKey: "complete" },
      ]);
    }
    return status;
  });
  if (state === "pending") {
    await workflows.cancel(id).catch(() => undefined);
    return (await getRun(pool, workspaceId, id))!;
  }
  await inTransaction(pool, async (client) => {
    await lockOperation(client, id);
    await stopRunTasks(client, id);
  });
  const workflow = await workflows.status(id);
  if (isDeadWorkflow(workflow)) {
    await inTransaction(pool, (client) => forceFinishRun(client, id, "cancelled", `cancelled (its workflow had stopped: ${workflow ?? "missing"})`));
  } else {
    const msg: RunMessage = { type: "cancel" };
    await workflows.send(id, msg, `cancel:${id}`);
  }
  return (await getRun(pool, workspaceId, id))!;
}

/** Start a new run of the same workflow text with the same inputs (its models' keys checked again with `secrets`), as `startedBy`. */
export async function rerun(deps: OperationDeps, workspaceId: string, id: string, secrets?: SecretStore, startedBy?: RunStarter): Promise<RunView> {
  const row = await runSource(deps.pool, workspaceId, id);
  if (!row) throw notFound("run", id);
  return createRun(deps, { workspaceId, source: row.source, inputs: row.inputs, rerunOf: id, secrets, startedBy });
}
