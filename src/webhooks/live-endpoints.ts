// Whether any webhook endpoint is live, asked by every operation that finishes (most installations have none):
// read once, then kept current by the NOTIFY the endpoints table's trigger sends on every change (migration 025),
// instead of one query per finished run.
import type { Queryable } from "../db/pool.ts";
import type { Notifier } from "../events/notifier.ts";
import { anyLiveEndpoint } from "./store.ts";

/** Also hard-coded in shipyard_notify_webhook_endpoints (migration 025). */
export const WEBHOOK_ENDPOINTS_CHANNEL = "shipyard_webhook_endpoints";

/** Whether any workspace has a live webhook endpoint, cached while this process hears of every change. */
export class LiveEndpoints {
  private known: Promise<boolean> | null = null;
  private listening = false;

  constructor(private readonly db: Queryable) {}

  /** Hear of changes from now on; the cache is used only while listening (a reconnect may have missed some). */
  async listen(notifier: Notifier): Promise<void> {
    notifier.onReconnect(() => (this.known = null));
    await notifier.on(WEBHOOK_ENDPOINTS_CHANNEL, () => (this.known = null));
    this.listening = true;
  }

  /** True when an endpoint that is not disabled exists. */
  any(): Promise<boolean> {
    if (!this.listening) return anyLiveEndpoint(this.db);
    if (!this.known) {
      const read = anyLiveEndpoint(this.db);
      // A failed read is not kept.
      read.catch(() => {
        if (this.known === read) this.known = null;
      });
      this.known = read;
    }
    return this.known;
  }
}
