import { DBOS } from "@dbos-inc/dbos-sdk";
import type { LlmMetrics } from "../agents/llm/index.ts";
import { LOCKS, withAdvisoryLock } from "../db/advisory-lock.ts";
import type { Pool } from "../db/pool.ts";
import type { OutboundClient } from "../net/outbound-client.ts";
import type { SecretStore } from "../secrets/store.ts";
import type { Logger } from "../logger.ts";
import { dbosLogger } from "./dbos-log.ts";
import { setEngineDeps, type JobSettings } from "./context.ts";
import { RUNNER_SWEEP } from "../tasks/sweep.ts";
import { KINDS } from "./kinds.ts";
import { registerQueues } from "./queues.ts";
// DBOS workflows are registered as their modules load, before DBOS.launch; the registry reaches them all, these say so.
import "../jobs/workflow.ts";
import "../models/llm-task.ts";
import "../runs/workflow.ts";

/**
 * Pinned rather than DBOS's default code hash: recovery after an upgrade must still find pending runs.
 * Bump it only for a change that makes old in-flight workflows unsafe to resume.
 */
export const ENGINE_VERSION = "shipyard-engine-1";

export interface EngineOptions {
  databaseUrl: string;
  pool: Pool;
  log: Logger;
  /** Stable per worker process: DBOS recovers a crashed executor's workflows when the same id starts again. */
  executorId: string;
  secrets: SecretStore;
  jobs: JobSettings;
  /** Cassettes for `replay:` models of llm steps; undefined: the repository's `cassettes/`. */
  cassettesDir?: string;
  /** Counters the llm steps' usage is added to (the server's /metrics registry). */
  llmMetrics?: LlmMetrics;
  /** The client for URLs users give, under the operator's URL policy. */
  outbound: OutboundClient;
  /** The GitHub API of projects that name none. */
  githubApiUrl: string;
  /** DBOS draws workflow and step spans (on the tracer provider registered before this starts). */
  tracing?: boolean;
}

/** Launch DBOS on Shipyard's database: recover pending runs, serve the queues, schedule the runner sweep and each kind's sweep. */
export async function startEngine(o: EngineOptions): Promise<void> {
  setEngineDeps({ pool: o.pool, log: o.log, secrets: o.secrets, jobs: o.jobs, cassettesDir: o.cassettesDir, llmMetrics: o.llmMetrics, outbound: o.outbound, githubApiUrl: o.githubApiUrl });
  const dbosLog = o.log.child({ component: "dbos" });
  DBOS.setConfig({
    name: "shipyard",
    systemDatabaseUrl: o.databaseUrl,
    executorID: o.executorId,
    applicationVersion: ENGINE_VERSION,
    schedulerPollingIntervalMs: 1000,
    logger: dbosLogger(dbosLog),
    tracingEnabled: o.tracing === true,
    otelAttributeFormat: "semconv",
  });
  await withAdvisoryLock(o.pool, LOCKS.dbosLaunch, () => DBOS.launch());
  await registerQueues();
  await DBOS.applySchedules([RUNNER_SWEEP, ...Object.values(KINDS).map((k) => k.sweep)]);
}

/** Stop DBOS (in-flight workflows stay pending and are recovered by the next start). */
export async function stopEngine(): Promise<void> {
  await DBOS.shutdown();
}
