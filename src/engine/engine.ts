import { LiveEndpoints } from "../webhooks/live-endpoints.ts";
import { DBOS } from "@dbos-inc/dbos-sdk";
import type { LlmMetrics } from "../agents/llm/index.ts";
import { LOCKS, withAdvisoryLock } from "../db/advisory-lock.ts";
import type { Pool } from "../db/pool.ts";
import type { OutboundClient } from "../net/outbound-client.ts";
import type { SecretStore } from "../secrets/store.ts";
import type { Logger } from "../logger.ts";
import type { PreviewUrls } from "../previews/urls.ts";
import { dbosLogger } from "./dbos-log.ts";
import { registerRunnerSweep } from "../tasks/sweep.ts";
import { CANCEL_CHANNEL } from "../tasks/dispatch.ts";
import { abortServerTask } from "../models/llm-task.ts";
import { abortHttpTask } from "../runs/http-task.ts";
import type { OwnApi } from "../server/own-api.ts";
import type { Notifier } from "../events/notifier.ts";
import type { TaskHandoff } from "../tasks/handoff.ts";
import { LocalWorkflows, type WorkflowControl } from "./control.ts";
import { announcingMessages, type RunWakes } from "../runs/wake.ts";
import { KINDS } from "./kinds.ts";
import { registerQueues } from "./queues.ts";
import { registerWebhookDelivery } from "../webhooks/delivery.ts";
import type { EngineResources, JobSettings } from "./resources.ts";

/**
 * Pinned rather than DBOS's default code hash: recovery after an upgrade must still find pending runs.
 * Bump it only for a change that makes old in-flight workflows unsafe to resume.
 */
export const ENGINE_VERSION = "shipyard-engine-1";

/** DBOS's application name for Shipyard's workflows (a client enqueueing for them names it too). */
export const APP_NAME = "shipyard";

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
  /** The data dir (artifacts, previews, screenshots). */
  dataDir: string;
  /** The URLs previews are published under. */
  previewUrls: PreviewUrls;
  /** A disconnected runner's tasks are lost this long after it was last seen; undefined: 10 s. */
  runnerLostAfterMs?: number;
  /** DBOS draws workflow and step spans (on the tracer provider registered before this starts). */
  tracing?: boolean;
  /** Told when an `llm` step is cancelled: the process making its model call (this one) aborts it. */
  notifier?: Notifier;
  /** Seconds before each webhook attempt; undefined: the Standard Webhooks schedule. */
  webhookRetrySchedule?: readonly number[];
  /** Hands placed tasks to this process's runner gateway, if it has one. */
  handoff?: TaskHandoff;
  /** Shipyard's own API, for http steps. */
  ownApi?: OwnApi;
  /** Where run workflows wait for work; told of every message sent (see announcingMessages). */
  wakes: RunWakes;
}

/** This process's engine: its workflows registered, DBOS not yet launched. */
export interface Engine {
  /** Starts, messages and cancels workflows (DBOS in this process). */
  workflows: WorkflowControl;
  /** Launch DBOS: recover pending runs, serve the queues, schedule the runner sweep and each kind's sweep. */
  start(): Promise<void>;
}

/**
 * Register every workflow with the resources it uses (DBOS allows it once per process, before launch): the
 * runner sweep's and each operation kind's (src/engine/kinds.ts).
 */
export function createEngine(o: EngineOptions): Engine {
  const local = new LocalWorkflows();
  const workflows = announcingMessages(local, o.wakes);
  const res: EngineResources = { pool: o.pool, log: o.log, secrets: o.secrets, jobs: o.jobs, workflows, wakes: o.wakes, cassettesDir: o.cassettesDir, llmMetrics: o.llmMetrics, outbound: o.outbound, githubApiUrl: o.githubApiUrl, dataDir: o.dataDir, previewUrls: o.previewUrls, webhookRetrySchedule: o.webhookRetrySchedule, runnerLostAfterMs: o.runnerLostAfterMs, handoff: o.handoff, ownApi: o.ownApi, liveEndpoints: new LiveEndpoints(o.pool) };
  const schedules = [registerRunnerSweep(res, local), ...Object.values(KINDS).map((k) => k.register(res, local))];
  // Webhooks are not a kind of operation: their delivery workflow is registered here.
  registerWebhookDelivery(res, local);
  return {
    workflows,
    async start() {
      const dbosLog = o.log.child({ component: "dbos" });
      DBOS.setConfig({
        name: APP_NAME,
        systemDatabaseUrl: o.databaseUrl,
        executorID: o.executorId,
        applicationVersion: ENGINE_VERSION,
        schedulerPollingIntervalMs: 1000,
        logger: dbosLogger(dbosLog),
        tracingEnabled: o.tracing === true,
        otelAttributeFormat: "semconv",
      });
      // Before launch: recovered runs wait for work at once, and a wake from another process must reach them.
      if (o.notifier) await o.wakes.listen(o.notifier);
      if (o.notifier) await res.liveEndpoints.listen(o.notifier);
      // One process launches at a time: two creating DBOS's schema on a fresh database at once collide.
      await withAdvisoryLock(o.pool, LOCKS.dbosLaunch, () => DBOS.launch());
      await registerQueues();
      await DBOS.applySchedules(schedules);
      // A cancelled llm step's model call is made by whichever process runs its workflow: one like this.
      await o.notifier?.on(CANCEL_CHANNEL, (payload) => {
        const { runnerId, taskId } = JSON.parse(payload) as { runnerId: string | null; taskId: string };
        if (runnerId === null && !abortServerTask(taskId)) abortHttpTask(taskId);
      });
    },
  };
}

/** Stop DBOS (in-flight workflows stay pending and are recovered by the next start). */
export async function stopEngine(): Promise<void> {
  await DBOS.shutdown();
}
