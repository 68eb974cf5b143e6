import type { Pool } from "../db/pool.ts";
import type { WorkflowControl } from "../engine/control.ts";
import type { TaskHandoff } from "../tasks/handoff.ts";
import type { OutboundClient } from "../net/outbound-client.ts";
import type { ProjectServiceDeps } from "../projects/service.ts";
import type { EventHub } from "../events/hub.ts";
import type { SecretStore } from "../secrets/store.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "./metrics.ts";
import type { Revocations } from "./revocations.ts";
import type { TaskTokens } from "./task-tokens.ts";
import type { PreviewUrls } from "../previews/urls.ts";
import type { StepApiTokens } from "../tokens/step-tokens.ts";

/** What the HTTP app is built from. */
export interface ServerDeps {
  pool: Pool;
  /** Starts, messages and cancels workflows (runs, job dispatchers): this process's DBOS, or its client. */
  workflows: WorkflowControl;
  /** Hands tasks placed while starting a run to this process's runner gateway. */
  handoff?: TaskHandoff;
  hub: EventHub | null;
  log: Logger;
  metrics: Metrics;
  secrets: SecretStore;
  /** Interval of SSE heartbeat comments. */
  heartbeatMs: number;
  /** Verifies agents' task tokens; without it the model endpoint is not mounted. */
  taskTokens?: TaskTokens;
  /** Verifies the short-lived tokens http steps call the API with; without it such tokens are refused. */
  stepTokens?: StepApiTokens;
  /** Cassettes for agents' `replay:` models; undefined: SHIPYARD_CASSETTES, else the repository's `cassettes/`. */
  cassettesDir?: string;
  /** Checks the URLs users give (projects' repositories and GitHub API) against the operator's policy. */
  outbound: OutboundClient;
  /** The project templates and where Shipyard keeps their repositories; without them GET /templates is empty. */
  templates?: ProjectServiceDeps["templates"];
  /** Closes SSE streams of revoked tokens; without it a stream outlives its token's revocation. */
  revocations?: Revocations;
  /** True once the engine can take runs (for /readyz). */
  isReady: () => boolean;
  /** Previews: their URLs (the preview host's), the data dir build artifacts are uploaded to, and the largest upload. */
  previews?: { urls: PreviewUrls; dataDir: string; maxArtifactBytes: number };
  /** The built web UI (web/dist) served at `/`; without it `/` is a 404. */
  webDir?: string;
  /** Aborted when the server begins to stop: open event streams end so nothing holds the server open. */
  closing?: AbortSignal;
}
