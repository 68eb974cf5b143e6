import { DBOSExecutor } from "@dbos-inc/dbos-sdk/internal/dbos-executor";

/**
 * DBOS's own recovery, for another executor id: its PENDING workflows of this application version go back to
 * ENQUEUED on their queues (the internal queue for those started without one), in one conditional UPDATE, for
 * any live worker to dequeue and resume from their last checkpoint. It is what a DBOS process runs for its own
 * id at launch, and what DBOS's admin endpoint `/dbos-workflow-recovery` ran before 5.x removed the admin
 * server; DBOS 5.3 exports it only through `internal/*`, so the version is pinned and the worker tests run it.
 *
 * Not `DBOS.listWorkflows` + `DBOS.resumeWorkflows`, though public: resuming resets `recovery_attempts` (a
 * workflow that kills every worker it lands on would never be dead-lettered), clears deduplication ids, moves
 * each workflow to the queue given (the internal one by default, losing a job's per-runner partition), and
 * would act on whatever the list returned even if it had moved on in between.
 *
 * Returns how many workflows were handed back.
 */
export async function recoverExecutorWorkflows(executorId: string): Promise<number> {
  const executor = DBOSExecutor.globalInstance;
  if (!executor) throw new Error("DBOS is not launched");
  const handles = await executor.recoverPendingWorkflows([executorId]);
  return handles.length;
}
