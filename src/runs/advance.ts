import { inTransaction, type Pool, type PoolClient } from "../db/pool.ts";
import { isFinalStatus, isFinishedStep, type RunStatus, type StepStatus } from "../domain/statuses.ts";
import type { EventPayload } from "../events/catalogue.ts";
import type { EventInput } from "../events/store.ts";
import { nextActions, shouldRun, type StepDef } from "../workflows/index.ts";
import { createServerTask, enqueueTask } from "../tasks/dispatch.ts";
import type { PlacedTask, TaskHandoff } from "../tasks/handoff.ts";
import { isServerSpec, type AnyTaskSpec } from "../tasks/spec.ts";
import { orphanedTasks, runningServerTasks, settleLostTask, settleTask, takeReportedTasks, type ServerTaskRef, type WrittenFirst } from "../tasks/store.ts";
import { stopRunTasks } from "./finish.ts";
import { stepIdOfTask } from "../tasks/task-id.ts";
import type { RunMessage, TaskResult } from "../tasks/messages.ts";
import { resolveStepTask, runOutputs } from "./step-task.ts";
import { ensureError, isRetryable, notFound, ShipyardError } from "../domain/errors.ts";
import { contextFor, type LockedRun, type SettledTask, type StepRow } from "./state.ts";
import { finishRun, flushRun, flushRunParams, lockRun, stepStatuses, type LockedReports, type ReportingRunner } from "./store.ts";

/** Re-runs a step gets after lost runners even with no `retry` (its `retry.max` when that is more). */
const LOST_RUNNER_RERUNS = 1;

/** What one advance of a run decided. */
export interface AdvanceOutcome {
  finished: boolean;
  status: RunStatus;
  /** The result it was to apply changed nothing (a repeat, or its run had finished). */
  stale?: boolean;
  /** Applying a result for its runner (`by`): a queued task waits that the runner could claim. */
  claimable?: boolean;
  /** Tasks the server runs itself (`llm`, `http`, `wait` steps) that this advance started or found running: the
   * run workflow starts (idempotently, workflow id = task id) the child workflow of each, by its kind. */
  serverTasks?: ServerTaskRef[];
}

/**
 * One durable step of the run workflow: apply a message (a task result, a lost runner, a cancel) to the
 * run's stored state, start every step that became ready, and finish the run when nothing is left. It is a
 * pure function of the database state and the message, and idempotent, so DBOS may re-execute it after a
 * crash.
 */
export async function advanceRun(pool: Pool, runId: string, msg: RunMessage, handoff?: TaskHandoff, by?: ReportingRunner): Promise<AdvanceOutcome> {
  const placed: PlacedTask[] = [];
  let outcome: AdvanceOutcome;
  try {
    outcome = await advanceInTransaction(pool, runId, msg, placed, by, handoff);
  } catch (err) {
    handoff?.abandoned(placed);
    throw err;
  }
  // Committed: the tasks it placed exist, and this process's gateway may send them before their NOTIFY is back.
  handoff?.placed(placed);
  return outcome;
}

function advanceInTransaction(pool: Pool, runId: string, msg: RunMessage, placed: PlacedTask[], by?: ReportingRunner, handoff?: TaskHandoff): Promise<AdvanceOutcome> {
  return inTransaction(pool, async (client) => {
    // A task result is settled (task marked done) in the same round trip as the lock, the run's other reports
    // are taken with it, and a start makes a pending run running there too.
    const run = await lockRun(client, runId, {
      settle: msg.type === "result" ? { taskId: msg.taskId, dispatch: msg.dispatch, result: msg, by } : undefined,
      // A tick starts a pending run too: its first advance may have been lost (see createRun).
      start: msg.type === "start" || msg.type === "tick",
      // Woken by stored results: they are taken with the lock.
      take: msg.type === "reports",
    });
    // A workflow whose run was never stored (its creation failed after the workflow started: first-advance.ts).
    if (!run) throw notFound("run", runId);
    const finished = isFinalStatus(run.status);
    const claimable = run.claimable !== undefined ? { claimable: run.claimable } : {};
    // A stale or duplicate report (an earlier advance took it from the table already) changes nothing.
    if (finished || "unchanged" in run) return { finished, status: run.status, ...(msg.type === "result" ? { stale: true } : {}), ...claimable };
    const a = new Advance(client, run, placed);
    await a.apply(msg);
    await a.schedule();
    const outcome = { ...(await a.flushAndFinishIfDone()), ...claimable };
    handoff?.committingNow(placed);
    const serverTasks = [...new Map(a.serverTasks.map((t) => [t.id, t])).values()];
    return serverTasks.length > 0 && !outcome.finished ? { ...outcome, serverTasks } : outcome;
  });
}

/** One advance of a run, over its rows as loaded (see advanceRun; src/runs/first-advance.ts makes a new run's first). */
export class Advance {
  private readonly events: EventInput[] = [];
  private readonly defs = new Map<string, StepDef>();
  /** Server-run tasks (llm, http, wait steps) the run workflow must make sure are executing. */
  readonly serverTasks: ServerTaskRef[] = [];

  constructor(
    private readonly client: PoolClient,
    private readonly run: LockedRun & LockedReports,
    /** The tasks this advance placed on runners. */
    private readonly placed: PlacedTask[],
    /** The run is not stored yet: its creation goes with the advance's one write, placing its first task. */
    private creation?: WrittenFirst["create"],
  ) {
    for (const s of [...run.definition.steps, ...run.definition.teardown]) this.defs.set(s.id, s);
  }

  async apply(msg: RunMessage): Promise<void> {
    // lockRun made a pending run running.
    if (this.run.started) this.events.push({ type: "status", payload: { status: "running" }, dedupeKey: "status:running" });
    this.run.started = false;
    switch (msg.type) {
      case "start":
        return;
      case "result":
        await this.applyResult(msg, this.run.settled);
        // The run's other reported results, taken by lockRun: a wide run takes its results in batches.
        for (const r of this.run.reported) await this.applyResult(r.result, { attempt: r.attempt, spec: r.spec });
        return;
      case "lost":
        return this.applyLost(msg.taskId, msg.dispatch, msg.reason);
      case "cancel":
        return this.applyCancel();
      case "reports":
        for (const r of this.run.reported) await this.applyResult(r.result, { attempt: r.attempt, spec: r.spec });
        return;
      case "tick":
        return this.recoverOrphanedTasks();
    }
  }

  private stepOfTask(id: string): StepRow | undefined {
    return this.run.steps.get(stepIdOfTask(this.run.id, id));
  }

  /** Apply a task result; `settled` is the task as lockRun already settled it (undefined: settle it here). */
  private async applyResult(r: TaskResult, settled?: SettledTask): Promise<void> {
    const task = settled !== undefined ? settled : await settleTask(this.client, r.taskId, r.dispatch, r);
    const step = this.stepOfTask(r.taskId);
    if (!task || !step) return; // a stale or duplicate report
    const def = this.defs.get(step.step_id)!;
    step.exit_code = r.exitCode;
    if (r.status === "succeeded") {
      step.outputs = r.outputs;
      this.setStatus(step, "succeeded", { outputs: r.outputs, exitCode: r.exitCode, durationMs: r.durationMs });
      return;
    }
    if (r.status === "cancelled") {
      this.setStatus(step, "cancelled", { error: r.error ?? "cancelled", durationMs: r.durationMs });
      return;
    }
    const error = r.error ?? (r.status === "timed_out" ? "timed out" : `exited with code ${r.exitCode}`);
    if (!this.run.cancelRequested && task.attempt <= def.retry.max) {
      const attempt = task.attempt + 1;
      this.events.push({
        type: "step",
        payload: { stepId: step.step_id, status: "retrying", attempt: task.attempt, error, nextAttempt: attempt, delayMs: def.retry.backoffMs },
        dedupeKey: `step:${step.step_id}:${task.attempt}:retrying`,
      });
      step.attempt = attempt;
      this.setStatus(step, "queued", { attempt });
      await this.startTask(step, { ...task.spec, delayMs: def.retry.backoffMs });
      return;
    }
    step.error = error;
    this.setStatus(step, "failed", { error, exitCode: r.exitCode, durationMs: r.durationMs });
  }

  /**
   * A task whose runner went away runs again as a new attempt, so its two executions are told apart in the log
   * and the step's history; the attempt counts against `retry`, but a step always gets one re-run after a lost
   * runner (a restart of its machine is no failure of the step).
   */
  private async applyLost(taskId: string, dispatch: number, why: string): Promise<void> {
    const step = this.stepOfTask(taskId);
    const task = await settleLostTask(this.client, taskId, dispatch, { status: "lost", reason: why });
    if (!step || !task) return; // a stale report: the task finished or was handed out again meanwhile
    const def = this.defs.get(step.step_id)!;
    const reason = `runner lost (${why})`;
    if (this.run.cancelRequested) {
      this.setStatus(step, "cancelled", { error: reason });
      return;
    }
    if (task.attempt > Math.max(def.retry.max, LOST_RUNNER_RERUNS)) {
      step.error = `${reason} during attempt ${task.attempt}; no retries left`;
      this.setStatus(step, "failed", { error: step.error });
      return;
    }
    const attempt = task.attempt + 1;
    this.events.push({
      type: "step",
      payload: { stepId: step.step_id, status: "lost", attempt: task.attempt, reason, nextAttempt: attempt },
      dedupeKey: `step:${step.step_id}:${task.attempt}:lost`,
    });
    this.log(step.step_id, `${reason}; running it again as attempt ${attempt}`);
    step.attempt = attempt;
    this.setStatus(step, "queued", { attempt, reason });
    const { delayMs: _delay, ...spec } = task.spec;
    await this.startTask(step, spec);
  }

  private async applyCancel(): Promise<void> {
    this.run.cancelRequested = true;
    // The same as at the request (which did it already unless the run was started meanwhile); rows and events
    // are written there, so the steps here only learn their new status.
    for (const stopped of await stopRunTasks(this.client, this.run.id)) {
      const step = this.run.steps.get(stopped.step_id);
      if (step) Object.assign(step, { status: "cancelled", error: stopped.error });
    }
    this.events.push({ type: "status", payload: { status: "cancelling" }, dedupeKey: "status:cancelling" });
  }

  /** Tasks held by runners that went offline are queued again (a safety net beside the runner sweeper). */
  private async recoverOrphanedTasks(): Promise<void> {
    const orphans = await orphanedTasks(this.client, this.run.id);
    // Server-run tasks have no runner to lose; their child workflows are (re)started, which is idempotent.
    this.serverTasks.push(...(await runningServerTasks(this.client, this.run.id)));
    for (const o of orphans) await this.apply({ type: "lost", taskId: o.id, dispatch: o.dispatch, reason: "runner offline" });
    // A result the gateway recorded but whose message never arrived (a crash in between) is applied from the row.
    await this.applyReported();
  }

  /**
   * Every task of the run a runner has reported whose message has not been taken yet: applied now, from the
   * row (after a result, lockRun took them already); their own messages then find them settled and cost
   * almost nothing (see lockRun).
   */
  private async applyReported(): Promise<void> {
    for (const r of await takeReportedTasks(this.client, this.run.id)) await this.applyResult(r.result, { attempt: r.attempt, spec: r.spec });
  }

  /** Start or skip every step whose needs have finished; repeat while skips unblock more steps. */
  async schedule(): Promise<void> {
    for (let progressed = true; progressed; ) {
      progressed = false;
      const mainDone = this.run.definition.steps.every((s) => isFinishedStep(this.statusOf(s.id)));
      const phases = mainDone ? [this.run.definition.steps, this.run.definition.teardown] : [this.run.definition.steps];
      for (const steps of phases) {
        const status = Object.fromEntries(steps.map((s) => [s.id, this.statusOf(s.id)]));
        for (const id of nextActions(steps, status).start) {
          await this.startOrSkip(this.defs.get(id)!, steps === this.run.definition.teardown);
          progressed = true;
        }
      }
    }
  }

  private statusOf(id: string): StepStatus {
    return this.run.steps.get(id)?.status ?? "pending";
  }

  private async startOrSkip(def: StepDef, teardown: boolean): Promise<void> {
    const step = this.run.steps.get(def.id)!;
    if (!teardown && this.run.cancelRequested) {
      this.setStatus(step, "cancelled", { error: "run cancelled" });
      return;
    }
    await this.refreshStale();
    const ctx = contextFor(this.run, def, teardown);
    let spec: AnyTaskSpec;
    try {
      if (!shouldRun(def.if, ctx)) {
        this.setStatus(step, "skipped", { reason: def.if ? `if: ${def.if}` : "a step it needs did not succeed" });
        return;
      }
      spec = await resolveStepTask(this.client, this.run.workspaceId, def, ctx);
    } catch (err) {
      // A database that went away while the step's task was being made is not the step's fault: the advance
      // fails as a whole (nothing of it is kept) and is tried again.
      if (isRetryable(err)) throw err;
      step.error = err instanceof ShipyardError ? err.message : `expression error: ${ensureError(err).message}`;
      this.setStatus(step, "failed", { error: step.error });
      return;
    }
    step.attempt = 1;
    this.setStatus(step, "queued");
    await this.startTask(step, spec);
  }

  /** Write what is pending first, so the `running` event of a task placed at once follows `queued`. */
  private async startTask(step: StepRow, spec: AnyTaskSpec): Promise<void> {
    const task = { runId: this.run.id, stepId: step.step_id, attempt: step.attempt, workspaceId: this.run.workspaceId };
    if (isServerSpec(spec)) {
      await this.flush();
      // The server runs it (a child workflow the run workflow starts): it is running as soon as it exists.
      this.serverTasks.push({ id: await createServerTask(this.client, { ...task, spec }), kind: spec.kind });
      this.setStatus(step, "running", { runner: "server" });
      return;
    }
    // Written in the statement that places it.
    this.assertOneWrite(this.created);
    const first = { flush: flushRunParams(this.run.id, this.takeRows(), this.events.splice(0)), create: this.creation };
    this.created = this.creation !== undefined;
    this.creation = undefined;
    await enqueueTask(this.client, { ...task, spec: this.followed(step) ? { ...spec, prewarm: true } : spec }, this.placed, first);
    // The dispatcher may have made it `running`; re-read only if something looks at it in this advance.
    this.stale.add(step);
  }

  /** Whether another step of the run that a runner executes (run or agent) has yet to start: its sandbox can start early. */
  private followed(step: StepRow): boolean {
    for (const [id, def] of this.defs) {
      if (id !== step.step_id && (def.kind === "run" || def.kind === "agent") && this.statusOf(id) === "pending") return true;
    }
    return false;
  }

  /**
   * Steps whose row the dispatcher may have changed (queued → running) since this advance last wrote them.
   * Both statuses are "not finished", which is all scheduling and finishing look at, so they are re-read
   * (in one query) only before an expression context is built from them.
   */
  private readonly stale = new Set<StepRow>();

  private async refreshStale(): Promise<void> {
    if (this.stale.size === 0) return;
    const steps = [...this.stale];
    this.stale.clear();
    const status = await stepStatuses(this.client, this.run.id, steps.map((s) => s.step_id));
    for (const s of steps) s.status = status.get(s.step_id) ?? s.status;
  }

  private setStatus(step: StepRow, status: StepStatus, detail: Omit<Partial<EventPayload<"step">>, "stepId" | "status"> = {}): void {
    step.status = status;
    this.stale.delete(step);
    this.pendingRows.add(step);
    this.events.push({
      type: "step",
      payload: { stepId: step.step_id, status, attempt: step.attempt, ...detail },
      dedupeKey: `step:${step.step_id}:${step.attempt}:${status}`,
    });
  }

  private readonly pendingRows = new Set<StepRow>();
  /** The placement carrying the run's creation has been made. */
  private created = false;

  private log(stepId: string, line: string): void {
    this.events.push({ type: "log", payload: { stepId, stream: "system", line } });
  }

  /** Write changed step rows and the collected events, in one round trip. */
  private async flush(): Promise<void> {
    const rows = this.takeRows();
    const events = this.events.splice(0);
    this.assertOneWrite(rows.length + events.length > 0);
    await flushRun(this.client, this.run.id, rows, events);
  }

  /** An advance creating its run (first-advance.ts) has no lock: a write besides its one placement is refused. */
  private assertOneWrite(writes: boolean): void {
    if (writes && (this.creation !== undefined || this.created)) {
      throw new Error(`the first advance of run ${this.run.id} is not the one placement it was taken for (see src/runs/first-advance.ts)`);
    }
  }

  private takeRows(): StepRow[] {
    const rows = [...this.pendingRows];
    this.pendingRows.clear();
    return rows;
  }

  /**
   * Write what this advance changed; when every step has finished, settle the run's status and outputs and
   * publish the final event in the same round trip.
   */
  async flushAndFinishIfDone(): Promise<AdvanceOutcome> {
    const all = [...this.run.steps.values()];
    if (!all.every((s) => isFinishedStep(s.status))) {
      await this.flush();
      return { finished: false, status: this.run.status };
    }
    await this.refreshStale();
    this.assertOneWrite(true);
    const failed = all.filter((s) => s.status === "failed");
    const status: RunStatus = this.run.cancelRequested ? "cancelled" : failed.length > 0 ? "failed" : "succeeded";
    const ctx = contextFor(this.run);
    const outputs = runOutputs(this.run.definition.outputs, ctx);
    const error =
      status === "cancelled" ? "cancelled" : failed.map((s) => `step ${s.step_id} failed: ${s.error ?? "error"}`).join("; ") || null;
    // Not while a task is still queued or assigned (shipyard_finish_run checks under the run's lock).
    const finished = await finishRun(
      this.client,
      this.run.id,
      {
        outputs,
        status,
        error: status === "succeeded" ? null : error,
        events: [
          { type: "status", payload: { status }, dedupeKey: `status:${status}` },
          { type: "complete", payload: { status, outputs, error: status === "succeeded" ? null : error }, dedupeKey: "complete" },
        ],
      },
      { rows: this.takeRows(), events: this.events.splice(0) },
    );
    return finished ? { finished: true, status } : { finished: false, status: this.run.status };
  }
}
