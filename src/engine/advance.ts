import { inTransaction, type Pool, type PoolClient } from "../db/pool.ts";
import { isFinishedStep, type RunStatus, type StepStatus } from "../domain/statuses.ts";
import { appendEvents, type EventInput } from "../events/store.ts";
import { interpolate, nextActions, shouldRun, type StepDef } from "../workflows/index.ts";
import { enqueueTask, requeueTask, requestKill, type TaskSpec } from "./dispatch.ts";
import type { RunMessage, TaskResult } from "./messages.ts";
import { contextFor, lockRun, type LockedRun, type StepRow } from "./run-state.ts";

/** What one advance of a run decided. */
export interface AdvanceOutcome {
  finished: boolean;
  status: RunStatus;
}

/**
 * One durable step of the run workflow: apply a message (a task result, a lost runner, a cancel) to the
 * run's stored state, start every step that became ready, and finish the run when nothing is left. It is a
 * pure function of the database state and the message, and idempotent, so DBOS may re-execute it after a
 * crash.
 */
export function advanceRun(pool: Pool, runId: string, msg: RunMessage): Promise<AdvanceOutcome> {
  return inTransaction(pool, async (client) => {
    const run = await lockRun(client, runId);
    if (!run) throw new Error(`run ${runId} does not exist`);
    if (run.status === "succeeded" || run.status === "failed" || run.status === "cancelled") {
      return { finished: true, status: run.status };
    }
    const a = new Advance(client, run);
    await a.apply(msg);
    await a.schedule();
    await a.flush();
    return a.finishIfDone();
  });
}

class Advance {
  private readonly events: EventInput[] = [];
  private readonly defs = new Map<string, StepDef>();

  constructor(
    private readonly client: PoolClient,
    private readonly run: LockedRun,
  ) {
    for (const s of [...run.definition.steps, ...run.definition.teardown]) this.defs.set(s.id, s);
  }

  async apply(msg: RunMessage): Promise<void> {
    switch (msg.type) {
      case "start":
        if (this.run.status === "pending") {
          await this.client.query("update operations set status = 'running', started_at = now() where id = $1", [this.run.id]);
          this.run.status = "running";
          this.events.push({ type: "status", payload: { status: "running" }, dedupeKey: "status:running" });
        }
        return;
      case "result":
        return this.applyResult(msg);
      case "lost": {
        const step = this.stepOfTask(msg.taskId);
        const still = await this.client.query("select 1 from tasks where id = $1 and dispatch = $2 and status = 'assigned'", [
          msg.taskId,
          msg.dispatch,
        ]);
        if (!step || still.rowCount === 0) return;
        this.log(step.step_id, `runner lost (${msg.reason}); attempt ${step.attempt} queued again`);
        this.setStatus(step, "queued", { reason: msg.reason });
        await this.flush();
        await requeueTask(this.client, msg.taskId, msg.dispatch);
        await this.refresh(step);
        return;
      }
      case "cancel":
        return this.applyCancel();
      case "tick":
        return this.recoverOrphanedTasks();
    }
  }

  private stepOfTask(id: string): StepRow | undefined {
    const stepId = id.slice(this.run.id.length + 1, id.lastIndexOf(":"));
    return this.run.steps.get(stepId);
  }

  private async applyResult(r: TaskResult): Promise<void> {
    const done = await this.client.query<{ attempt: number; spec: { command: string; env: Record<string, string>; timeoutMs?: number } }>(
      `update tasks set status = 'done', result = $3, finished_at = now()
       where id = $1 and dispatch = $2 and status in ('assigned', 'reported') returning attempt, spec`,
      [r.taskId, r.dispatch, JSON.stringify(r)],
    );
    const task = done.rows[0];
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

  private async applyCancel(): Promise<void> {
    this.run.cancelRequested = true;
    const active = await this.client.query<{ id: string; status: string; runner_id: string | null; step_id: string }>(
      "select id, status, runner_id, step_id from tasks where operation_id = $1 and status in ('queued', 'assigned')",
      [this.run.id],
    );
    for (const t of active.rows) {
      if (t.status === "assigned" && t.runner_id) {
        await requestKill(this.client, t.runner_id, t.id);
      } else {
        await this.client.query("update tasks set status = 'cancelled', finished_at = now() where id = $1", [t.id]);
        const step = this.run.steps.get(t.step_id);
        if (step) this.setStatus(step, "cancelled", { error: "cancelled before it started" });
      }
    }
    this.events.push({ type: "status", payload: { status: "cancelling" }, dedupeKey: "status:cancelling" });
  }

  /** Tasks held by runners that went offline are queued again (a safety net beside the runner sweeper). */
  private async recoverOrphanedTasks(): Promise<void> {
    const orphans = await this.client.query<{ id: string; dispatch: number }>(
      `select t.id, t.dispatch from tasks t left join runners r on r.id = t.runner_id
       where t.operation_id = $1 and t.status = 'assigned' and (r.id is null or r.status <> 'online')`,
      [this.run.id],
    );
    for (const o of orphans.rows) await this.apply({ type: "lost", taskId: o.id, dispatch: o.dispatch, reason: "runner offline" });
    // A result the gateway recorded but whose message never arrived (a crash in between) is applied from the row.
    const reported = await this.client.query<{ result: TaskResult }>(
      "select result from tasks where operation_id = $1 and status = 'reported' and result is not null",
      [this.run.id],
    );
    for (const r of reported.rows) await this.applyResult(r.result);
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
    const ctx = contextFor(this.run, def, teardown);
    let command: string;
    let env: Record<string, string>;
    try {
      if (!shouldRun(def.if, ctx)) {
        this.setStatus(step, "skipped", { reason: def.if ? `if: ${def.if}` : "a step it needs did not succeed" });
        return;
      }
      command = interpolate(def.run, ctx);
      env = Object.fromEntries(Object.entries(def.env).map(([k, v]) => [k, interpolate(v, ctx)]));
    } catch (err) {
      step.error = `expression error: ${(err as Error).message}`;
      this.setStatus(step, "failed", { error: step.error });
      return;
    }
    step.attempt = 1;
    this.setStatus(step, "queued");
    await this.startTask(step, { command, env, timeoutMs: def.timeoutMs });
  }

  /** Write what is pending first, so the `running` event of a task placed at once follows `queued`. */
  private async startTask(step: StepRow, spec: TaskSpec): Promise<void> {
    await this.flush();
    await enqueueTask(this.client, { runId: this.run.id, stepId: step.step_id, attempt: step.attempt, workspaceId: this.run.workspaceId, spec });
    await this.refresh(step);
  }

  /** Re-read a step row changed by the dispatcher. */
  private async refresh(step: StepRow): Promise<void> {
    const res = await this.client.query<{ status: StepStatus }>("select status from run_steps where run_id = $1 and step_id = $2", [
      this.run.id,
      step.step_id,
    ]);
    step.status = res.rows[0]?.status ?? step.status;
  }

  private setStatus(step: StepRow, status: StepStatus, detail: Record<string, unknown> = {}): void {
    step.status = status;
    this.pendingRows.add(step);
    this.events.push({
      type: "step",
      payload: { stepId: step.step_id, status, attempt: step.attempt, ...detail },
      dedupeKey: `step:${step.step_id}:${step.attempt}:${status}`,
    });
  }

  private readonly pendingRows = new Set<StepRow>();

  private log(stepId: string, line: string): void {
    this.events.push({ type: "log", payload: { stepId, stream: "system", line } });
  }

  /** Write changed step rows and the collected events. */
  async flush(): Promise<void> {
    for (const s of this.pendingRows) {
      const finished = isFinishedStep(s.status);
      await this.client.query(
        `update run_steps set status = $3, outputs = $4, exit_code = $5, error = $6, attempt = $8,
           finished_at = case when $7 then coalesce(finished_at, now()) else null end
         where run_id = $1 and step_id = $2`,
        [this.run.id, s.step_id, s.status, JSON.stringify(s.outputs), s.exit_code, s.error, finished, s.attempt],
      );
    }
    this.pendingRows.clear();
    await appendEvents(this.client, this.run.id, this.events.splice(0));
  }

  /** When every step has finished, settle the run's status and outputs and publish the final event. */
  async finishIfDone(): Promise<AdvanceOutcome> {
    const all = [...this.run.steps.values()];
    const active = await this.client.query("select 1 from tasks where operation_id = $1 and status in ('queued', 'assigned') limit 1", [
      this.run.id,
    ]);
    if (!all.every((s) => isFinishedStep(s.status)) || (active.rowCount ?? 0) > 0) {
      return { finished: false, status: this.run.status };
    }
    const failed = all.filter((s) => s.status === "failed");
    const status: RunStatus = this.run.cancelRequested ? "cancelled" : failed.length > 0 ? "failed" : "succeeded";
    const ctx = contextFor(this.run);
    const outputs: Record<string, string> = {};
    for (const [name, expr] of Object.entries(this.run.definition.outputs)) {
      try {
        outputs[name] = interpolate(expr, ctx);
      } catch {
        outputs[name] = "";
      }
    }
    const error =
      status === "cancelled" ? "cancelled" : failed.map((s) => `step ${s.step_id} failed: ${s.error ?? "error"}`).join("; ") || null;
    await this.client.query("update runs set outputs = $2 where id = $1", [this.run.id, JSON.stringify(outputs)]);
    await this.client.query("update operations set status = $2, error = $3, finished_at = now() where id = $1", [
      this.run.id,
      status,
      status === "succeeded" ? null : error,
    ]);
    await appendEvents(this.client, this.run.id, [
      { type: "status", payload: { status }, dedupeKey: `status:${status}` },
      { type: "complete", payload: { status, outputs, error: status === "succeeded" ? null : error }, dedupeKey: "complete" },
    ]);
    return { finished: true, status };
  }
}
