// One attempt of a `wait` step, run by the server: wait for an operation of any kind (a build, a run, a job)
// to end, with durable sleeps between checkpointed looks at its row, so a restart resumes the wait where it
// was (DBOS replays the recorded looks and sleeps) and its deadline stays the one it had.
import { DBOS } from "@dbos-inc/dbos-sdk";
import type { Pool } from "../db/pool.ts";
import { isFinalStatus } from "../domain/statuses.ts";
import type { LocalWorkflows } from "../engine/control.ts";
import { MAX_RECOVERY_ATTEMPTS } from "../engine/queues.ts";
import type { EngineResources } from "../engine/resources.ts";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import { buildOfWorkspace } from "../builds/store.ts";
import { getOperationRow } from "../operations/store.ts";
import type { RunMessage, TaskResult } from "../tasks/messages.ts";
import { isServerTaskOf, loadServerTask } from "../tasks/store.ts";

/** The DBOS name of a wait step's attempt (its workflow id is the task's). */
export const WAIT_TASK_WORKFLOW = "shipyard.wait-task";

/** Pauses between looks: short at first (most waits in trees are for builds of seconds), then at most 5 s. */
const POLL_MS = [250, 500, 1000, 2000, 5000] as const;

/** What one look found. */
type Found =
  /** The wait step's own task was cancelled or settled meanwhile (its run was cancelled): stop. */
  | { over: true }
  | { over: false; result: Omit<TaskResult, "taskId" | "dispatch" | "durationMs" | "exitCode"> | null };

/** A look and when it was made (recorded with it, so a replay after a restart sees the same time). */
type Look = Found & { at: number };

/** Look at the awaited operation once. */
async function look(pool: Pool, taskId: string, workspaceId: string, runId: string, operationId: string): Promise<Look> {
  return { ...(await find(pool, taskId, workspaceId, runId, operationId)), at: Date.now() };
}

/** The awaited operation's end as the step's result, or null while it runs. */
async function find(pool: Pool, taskId: string, workspaceId: string, runId: string, operationId: string): Promise<Found> {
  const own = await loadServerTask(pool, taskId);
  if (!own || own.status !== "assigned") return { over: true };
  if (operationId === runId) return { over: false, result: { status: "failed", outputs: {}, error: "a run cannot wait for itself" } };
  const op = await getOperationRow(pool, workspaceId, operationId);
  if (!op) return { over: false, result: { status: "failed", outputs: {}, error: `operation ${operationId} does not exist in this workspace` } };
  if (!isFinalStatus(op.status)) return { over: false, result: null };
  const outputs: Record<string, string> = { status: op.status, error: op.error ?? "", preview_url: "" };
  if (op.kind === "build") outputs.preview_url = (await buildOfWorkspace(pool, workspaceId, operationId))?.preview_url ?? "";
  if (op.status === "succeeded") return { over: false, result: { status: "succeeded", outputs } };
  const error = `${op.kind} ${operationId} ${op.status}${op.error ? `: ${op.error}` : ""}`;
  return { over: false, result: { status: "failed", outputs, error } };
}

/**
 * Register one attempt of a `wait` step (workflow id = task id): look, sleep durably, look again until the
 * operation ends or the step's timeout passes, then send the run workflow its `result` message. A cancelled
 * run's wait ends at its next look (the step itself was settled as cancelled at the request).
 */
export function registerWaitTaskWorkflow(res: EngineResources, workflows: LocalWorkflows): void {
  async function waitTaskImpl(runId: string, taskId: string): Promise<void> {
    const task = await DBOS.runStep(() => loadServerTask(res.pool, taskId), { name: "wait:load", ...TRANSIENT_RETRIES });
    if (!task || task.status !== "assigned" || !isServerTaskOf(task, "wait")) return;
    if (task.spec.delayMs) await DBOS.sleep(task.spec.delayMs);
    const { operationId, timeoutMs } = task.spec;
    const started = await DBOS.now();
    const base = { taskId, dispatch: task.dispatch, exitCode: null };
    let result: TaskResult;
    for (let i = 0; ; i++) {
      const seen = await DBOS.runStep(() => look(res.pool, taskId, task.workspace_id, runId, operationId), { name: "wait:look", ...TRANSIENT_RETRIES });
      const now = seen.at;
      if (seen.over) return;
      if (seen.result) {
        result = { ...base, ...seen.result, durationMs: now - started };
        break;
      }
      const left = started + timeoutMs - now;
      if (left <= 0) {
        result = { ...base, status: "timed_out", outputs: {}, error: `operation ${operationId} did not end within ${timeoutMs} ms`, durationMs: now - started };
        break;
      }
      await DBOS.sleep(Math.min(POLL_MS[Math.min(i, POLL_MS.length - 1)]!, left));
    }
    const msg: RunMessage = { type: "result", ...result };
    await res.workflows.send(runId, msg, `result:${taskId}:${task.dispatch}`);
  }
  workflows.register(WAIT_TASK_WORKFLOW, waitTaskImpl, { maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });
}
