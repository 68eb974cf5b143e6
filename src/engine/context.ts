import type { LlmMetrics } from "../agents/llm/index.ts";
import type { Pool } from "../db/pool.ts";
import type { OutboundClient } from "../net/outbound-client.ts";
import type { SecretStore } from "../secrets/store.ts";
import type { Logger } from "../logger.ts";

/** What DBOS workflow code needs at run time; set once when the engine starts (DBOS itself is a singleton). */
export interface EngineDeps {
  pool: Pool;
  log: Logger;
  secrets: SecretStore;
  jobs: JobSettings;
  /** Cassettes for `replay:` models of llm steps; undefined: SHIPYARD_CASSETTES, else the repository's `cassettes/`. */
  cassettesDir?: string;
  /** Counters the llm steps' usage is added to (the server's /metrics registry); undefined: none. */
  llmMetrics?: LlmMetrics;
  /** The client for URLs users give (a project's GitHub API), under the operator's URL policy. */
  outbound: OutboundClient;
  /** SHIPYARD_GITHUB_API_URL: the GitHub API of projects that name none. */
  githubApiUrl: string;
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

let deps: EngineDeps | null = null;

/** Install the engine's dependencies (called by startEngine before DBOS.launch). */
export function setEngineDeps(d: EngineDeps): void {
  deps = d;
}

/** The engine's dependencies; throws when the engine was not started in this process. */
export function engineDeps(): EngineDeps {
  if (!deps) throw new Error("the Shipyard engine is not started in this process");
  return deps;
}
