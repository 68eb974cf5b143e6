import type { LlmMetrics } from "../agents/llm/index.ts";
import type { Pool } from "../db/pool.ts";
import type { OutboundClient } from "../net/outbound-client.ts";
import type { SecretStore } from "../secrets/store.ts";
import type { Logger } from "../logger.ts";
import type { PreviewUrls } from "../previews/urls.ts";
import type { WorkflowControl } from "./control.ts";
import type { TaskHandoff } from "../tasks/handoff.ts";
import type { OwnApi } from "../server/own-api.ts";
import type { RunWakes } from "../runs/wake.ts";
import type { LiveEndpoints } from "../webhooks/live-endpoints.ts";

/**
 * What DBOS workflow code needs at run time, given once to each folder's register function when the engine is
 * created (as Trigger.dev's run engine passes its SystemResources): the workflows close over it, nothing
 * fetches it from a global.
 */
export interface EngineResources {
  pool: Pool;
  log: Logger;
  secrets: SecretStore;
  /** Read at each use (a sweep reads the recovery setting every time it runs). */
  jobs: JobSettings;
  /** Starts and messages workflows, from inside a workflow too (DBOS checkpoints a start made there). */
  workflows: WorkflowControl;
  /** Cassettes for `replay:` models of llm steps; undefined: SHIPYARD_CASSETTES, else the repository's `cassettes/`. */
  cassettesDir?: string;
  /** Counters the llm steps' usage is added to (the server's /metrics registry); undefined: none. */
  llmMetrics?: LlmMetrics;
  /** The client for URLs users give (a project's GitHub API), under the operator's URL policy. */
  outbound: OutboundClient;
  /** SHIPYARD_GITHUB_API_URL: the GitHub API of projects that name none. */
  githubApiUrl: string;
  /** The data dir: uploaded artifacts, published previews, build screenshots. */
  dataDir: string;
  /** The URLs previews are published under. */
  previewUrls: PreviewUrls;
  /** SHIPYARD_WEBHOOK_RETRY_SCHEDULE: seconds before each webhook attempt; undefined: the spec's schedule. */
  webhookRetrySchedule?: readonly number[];
  /** SHIPYARD_RUNNER_LOST_AFTER_MS: how long a disconnected runner has to come back for its tasks; undefined: 10 s. */
  runnerLostAfterMs?: number;
  /** Shipyard's own API, for http steps that call a path of it; undefined: such steps fail. */
  ownApi?: OwnApi;
  /** Hands tasks an advance placed to this process's runner gateway (`up`); undefined: NOTIFY alone tells it. */
  handoff?: TaskHandoff;
  /** Where run workflows wait for results and messages (src/runs/wake.ts). */
  wakes: RunWakes;
  /** Whether any webhook endpoint is live, kept current by NOTIFY. */
  liveEndpoints: LiveEndpoints;
}

/** Job scheduling and recovery settings. */
export interface JobSettings {
  /** At most one running job per workspace, besides one per runner. */
  onePerWorkspace: boolean;
  /** A running job with no event for this long is stuck. */
  stuckAfterMs: number;
  /** What the orphan/stuck sweep does with such a job. */
  recovery: "requeue" | "fail";
}
