// The webhook event of a finished run: run.completed when it succeeded, run.failed otherwise (cancelled too).
import type { EngineResources } from "../engine/resources.ts";
import { emitWebhookEvent } from "../webhooks/service.ts";
import { runRowById } from "./store.ts";

/** Emit the finished run's webhook event (from the run workflow, once it has finished). */
export async function emitRunFinished(res: EngineResources, runId: string): Promise<void> {
  await emitWebhookEvent(res, async () => {
    const run = await runRowById(res.pool, runId);
    if (!run) return null;
    const succeeded = run.status === "succeeded";
    return {
      workspaceId: run.workspace_id,
      type: succeeded ? "run.completed" : "run.failed",
      key: `${runId}:finished`,
      data: {
        runId,
        workflow: run.workflow_name,
        status: run.status,
        ...(succeeded ? { outputs: run.outputs ?? {} } : { error: run.error }),
        finishedAt: run.finished_at?.toISOString() ?? null,
      },
    };
  }, { last: true });
}
