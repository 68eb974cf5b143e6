import { engineDeps } from "../engine/context.ts";
import { freeRunnersWithWork } from "./store.ts";
import { startDispatcher } from "./workflow.ts";

/**
 * Offer the next job to each given runner (default: every online one) that is free and has a job it could
 * take; the filter keeps a burst of submissions (or submissions to a paused queue) from starting a
 * dispatcher per runner per job.
 */
export async function kickDispatch(runnerIds?: string[]): Promise<void> {
  for (const id of await freeRunnersWithWork(engineDeps().pool, runnerIds ?? null)) await startDispatcher(id);
}
