import type { Pool } from "../db/pool.ts";
import type { EventHub } from "../events/hub.ts";
import type { SecretStore } from "../secrets/store.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "./metrics.ts";

/** What the HTTP app is built from. */
export interface ServerDeps {
  pool: Pool;
  hub: EventHub | null;
  log: Logger;
  metrics: Metrics;
  secrets: SecretStore;
  /** Interval of SSE heartbeat comments. */
  heartbeatMs: number;
  /** True once the engine can take runs (for /readyz). */
  isReady: () => boolean;
}
