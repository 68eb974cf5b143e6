import { DBOS } from "@dbos-inc/dbos-sdk";
import type { LocalWorkflows } from "../engine/control.ts";
import type { SweepSchedule } from "../engine/kinds.ts";
import type { EngineResources } from "../engine/resources.ts";
import type { RunMessage } from "./messages.ts";
import { markSilentRunnersOffline } from "./runner-store.ts";
import { tasksOfLostRunners } from "./store.ts";

/** A runner silent for this long is offline. */
export const RUNNER_SILENCE_MS = 30_000;
/** Tasks of a disconnected runner are declared lost after this grace (it may reconnect and keep them). */
export const LOST_GRACE_MS = 10_000;

/** The sweep's tick: every 5 s, more often for a short grace, so lost work waits at most about half a grace longer. */
export function sweepSchedule(graceMs: number): string {
  const seconds = Math.min(5, Math.max(1, Math.floor(graceMs / 2000)));
  return `*/${seconds} * * * * *`;
}

/**
 * Register the periodic health sweep of the runners, run by DBOS's scheduler every 5 s or less (one execution per tick
 * across all workers): runners that stopped answering go offline, and their tasks go back to the workflows
 * waiting for them (a run's or a job's) as `lost`. Each kind of operation sweeps its own operations
 * (src/engine/kinds.ts). Returns its schedule.
 */
export function registerRunnerSweep(res: EngineResources, workflows: LocalWorkflows): SweepSchedule {
  const graceMs = res.runnerLostAfterMs ?? LOST_GRACE_MS;
  async function sweepImpl(_scheduled: Date, _context: unknown): Promise<void> {
    const findings = await DBOS.runStep(
      async () => {
        await markSilentRunnersOffline(res.pool, RUNNER_SILENCE_MS);
        return { lost: await tasksOfLostRunners(res.pool, graceMs) };
      },
      { name: "find-lost-work" },
    );
    for (const t of findings.lost) {
      const msg: RunMessage = { type: "lost", taskId: t.id, dispatch: t.dispatch, reason: `runner ${t.name} offline` };
      await res.workflows.send(t.workflow_id, msg, `lost:${t.id}:${t.dispatch}`);
    }
  }
  const workflowFn = workflows.register("shipyard.sweep", sweepImpl);
  return { scheduleName: "shipyard-sweep", workflowFn, schedule: sweepSchedule(graceMs) };
}
