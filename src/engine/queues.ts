import { DBOS } from "@dbos-inc/dbos-sdk";
import type { Queryable } from "../db/pool.ts";

/** Runs without a concurrency key. */
export const RUNS_QUEUE = "shipyard-runs";
/** Runs with a concurrency key: one at a time per key (a DBOS partitioned queue). */
export const KEYED_RUNS_QUEUE = "shipyard-runs-keyed";

// The default dispatch poll is 1 s; a short one keeps a submitted run's start latency low. DBOS 5.3 does not
// wake a queue when this process enqueues (only its timer and finished polls do), so every run waits for the
// next poll: on average half the interval. Each idle poll costs 1 to 4 statements per queue: 25 ms cost about
// 300 statements/s for these two queues while idle; 50 ms halves that for ~12 ms more average pick-up, once
// per run (not per step). Under load a poll picks up every waiting run at once, so throughput does not depend on it.
const POLL_MS = 50;

/** Job workflows: one at a time per runner (partitioned by runner id). */
export const JOBS_QUEUE = "shipyard-jobs";
/** Dispatchers: one at a time per runner, so claims for a runner never race. */
export const JOB_DISPATCH_QUEUE = "shipyard-job-dispatch";

/** Builds: one at a time per project (partitioned by project id). */
export const BUILDS_QUEUE = "shipyard-builds";

// Builds, publishes and deployments take seconds to minutes: a quarter second of pick-up is nothing to them, and
// each idle poll of a queue costs about 4 statements (80 a second at 50 ms), paid by everything else running.
const BUILD_POLL_MS = 250;
// A webhook is delivered within about 50 ms of its event on average at this interval.
const WEBHOOK_POLL_MS = 100;

// The default dispatch poll is 1 s; the gap between two jobs on a runner must stay under 200 ms (bench/jobs.ts):
// a job and then its dispatcher each wait for a poll. Each idle poll of these two queues costs about 4 statements
// (at 50 ms, 160 a second, paid by all else); at 100 ms the gap's p99 stays well under the bound.
const JOB_POLL_MS = 100;

/** Webhook deliveries: no concurrency limit, as most of their time is spent in a durable wait between attempts. */
export const WEBHOOKS_QUEUE = "shipyard-webhooks";

/** Register Shipyard's DBOS queues (after DBOS.launch). */
export async function registerQueues(): Promise<void> {
  await DBOS.registerQueue(RUNS_QUEUE, { workerConcurrency: 500, minPollingIntervalMs: POLL_MS, onConflict: "always_update" });
  await DBOS.registerQueue(KEYED_RUNS_QUEUE, {
    partitionConcurrency: 1,
    workerConcurrency: 500,
    minPollingIntervalMs: POLL_MS,
    onConflict: "always_update",
  });
  await DBOS.registerQueue(JOBS_QUEUE, { partitionConcurrency: 1, minPollingIntervalMs: JOB_POLL_MS, onConflict: "always_update" });
  await DBOS.registerQueue(BUILDS_QUEUE, { partitionConcurrency: 1, minPollingIntervalMs: BUILD_POLL_MS, onConflict: "always_update" });
  await DBOS.registerQueue(JOB_DISPATCH_QUEUE, { partitionConcurrency: 1, minPollingIntervalMs: JOB_POLL_MS, onConflict: "always_update" });
  await DBOS.registerQueue(WEBHOOKS_QUEUE, { minPollingIntervalMs: WEBHOOK_POLL_MS, onConflict: "always_update" });
}

/**
 * Recoveries of one workflow before DBOS gives up on it (its status becomes MAX_RECOVERY_ATTEMPTS_EXCEEDED and
 * the sweeps end its operation, saying so): work that crashes its server every time it runs then fails once
 * instead of taking the server down on every restart. Legitimate restarts during one run stay far below it.
 */
export const MAX_RECOVERY_ATTEMPTS = 10;

/** Workflows waiting in each DBOS queue (read from DBOS's own table). */
export async function enqueuedWorkflows(db: Queryable): Promise<{ queue_name: string; n: number }[]> {
  const runs = await db.query<{ queue_name: string; n: number }>(
    "select queue_name, count(*)::int as n from dbos.workflow_status where status = 'ENQUEUED' and queue_name is not null group by queue_name",
  );
  return runs.rows;
}
