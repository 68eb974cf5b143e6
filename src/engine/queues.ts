import { DBOS } from "@dbos-inc/dbos-sdk";

/** Runs without a concurrency key. */
export const RUNS_QUEUE = "shipyard-runs";
/** Runs with a concurrency key: one at a time per key (a DBOS partitioned queue). */
export const KEYED_RUNS_QUEUE = "shipyard-runs-keyed";

// The default dispatch poll is 1 s; a short one keeps a submitted run's start latency low.
const POLL_MS = 25;

/** Register Shipyard's DBOS queues (after DBOS.launch). */
export async function registerQueues(): Promise<void> {
  await DBOS.registerQueue(RUNS_QUEUE, { workerConcurrency: 500, minPollingIntervalMs: POLL_MS, onConflict: "always_update" });
  await DBOS.registerQueue(KEYED_RUNS_QUEUE, {
    partitionConcurrency: 1,
    workerConcurrency: 500,
    minPollingIntervalMs: POLL_MS,
    onConflict: "always_update",
  });
}
