import { DBOS } from "@dbos-inc/dbos-sdk";
import { engineDeps } from "../engine/context.ts";
import { RUN_TOPIC, type RunMessage } from "./messages.ts";
import { markSilentRunnersOffline } from "./runner-store.ts";
import { tasksOfLostRunners } from "./store.ts";

/** A runner silent for this long is offline. */
export const RUNNER_SILENCE_MS = 30_000;
/** Tasks of a disconnected runner are declared lost after this grace (it may reconnect and keep them). */
export const LOST_GRACE_MS = 10_000;

/**
 * Periodic health sweep of the runners, run by DBOS's scheduler (one execution per tick across all workers):
 * runners that stopped answering go offline, and their tasks go back to the workflows waiting for them (a
 * run's or a job's) as `lost`. Each kind of operation sweeps its own operations (src/engine/kinds.ts).
 */
async function sweepImpl(_scheduled: Date, _context: unknown): Promise<void> {
  const findings = await DBOS.runStep(
    async () => {
      const { pool } = engineDeps();
      await markSilentRunnersOffline(pool, RUNNER_SILENCE_MS);
      return { lost: await tasksOfLostRunners(pool, LOST_GRACE_MS) };
    },
    { name: "find-lost-work" },
  );
  for (const t of findings.lost) {
    const msg: RunMessage = { type: "lost", taskId: t.id, dispatch: t.dispatch, reason: `runner ${t.name} offline` };
    await DBOS.send(t.workflow_id, msg, RUN_TOPIC, `lost:${t.id}:${t.dispatch}`);
  }
}

export const sweepWorkflow = DBOS.registerWorkflow(sweepImpl, { name: "shipyard.sweep" });

/** The runner sweep's schedule (every 5 s). */
export const RUNNER_SWEEP = { scheduleName: "shipyard-sweep", workflowFn: sweepWorkflow, schedule: "*/5 * * * * *" };
