// Ending an operation from outside its workflow (a cancel before it ran, a sweep of one whose workflow died): the
// one way its row, its `status` event and its closing `complete` event are written together.
import { DBOS } from "@dbos-inc/dbos-sdk";
import { inTransaction, type Pool } from "../db/pool.ts";
import type { FinalStatus } from "../domain/statuses.ts";
import type { LocalWorkflows } from "../engine/control.ts";
import type { SweepSchedule } from "../engine/kinds.ts";
import type { EngineResources } from "../engine/resources.ts";
import type { EventPayload } from "../events/catalogue.ts";
import { appendEvents } from "../events/store.ts";
import { DEAD_WORKFLOW_STATUSES, deadWorkflowReason } from "../runs/finish.ts";
import type { OperationKind } from "../domain/operation-kinds.ts";
import { endOperation, lockOperation, operationsWithWorkflowIn } from "./store.ts";

/**
 * End an operation that has not ended yet with `status` and `error`: its row, a `status` event (with the reason
 * when it failed) and the `complete` event, with `complete`'s extra fields. False when it had already ended.
 */
export function endUnfinished(pool: Pool, id: string, status: FinalStatus, error: string, complete: Partial<EventPayload<"complete">> = {}): Promise<boolean> {
  return inTransaction(pool, async (c) => {
    const now = await lockOperation(c, id);
    if (now !== "pending" && now !== "running") return false;
    await endOperation(c, id, status, error);
    await appendEvents(c, id, [
      { type: "status", payload: { status, ...(status === "failed" ? { reason: error } : {}) }, dedupeKey: `status:${status}` },
      { type: "complete", payload: { ...complete, status, error }, dedupeKey: "complete" },
    ]);
    return true;
  });
}

/** An unfinished operation and the DBOS status of its workflow (null: none), as a sweep finds it. */
export interface StalledOperation {
  id: string;
  wf_status: string | null;
  wf_error: string | null;
  attempts: number;
}

/**
 * Register a kind's sweep (every 10 s): an operation whose workflow will never finish it (DBOS gave up on it, or it
 * ended without ending the operation; with `missingWorkflow`, also one whose workflow was never started) is failed
 * once, saying why.
 */
export function registerDeadOperationSweep(
  res: EngineResources,
  workflows: LocalWorkflows,
  kind: OperationKind,
  o: { missingWorkflow?: boolean } = {},
): SweepSchedule {
  async function sweepImpl(_scheduled: Date, _context: unknown): Promise<void> {
    const dead: StalledOperation[] = await DBOS.runStep(() => operationsWithWorkflowIn(res.pool, kind, DEAD_WORKFLOW_STATUSES, o.missingWorkflow === true), {
      name: `find-dead-${kind}s`,
    });
    for (const op of dead) {
      const reason = deadWorkflowReason(op.wf_status ?? "missing", op.wf_error, op.attempts);
      const ended = await DBOS.runStep(() => endUnfinished(res.pool, op.id, "failed", reason), { name: `end-dead-${kind}` });
      if (ended) res.log.warn({ operationId: op.id, kind, workflowStatus: op.wf_status, reason }, `ended a ${kind} its workflow will never finish`);
    }
  }
  const workflowFn = workflows.register(`shipyard.${kind}-sweep`, sweepImpl);
  return { scheduleName: `shipyard-${kind}-sweep`, workflowFn, schedule: "*/10 * * * * *" };
}
