import pg from "pg";
import type { Logger } from "../logger.ts";

type Handler = (payload: string) => void;

/**
 * One LISTEN connection per process, shared by every channel: PostgreSQL NOTIFY is how a write made by any
 * process (a workflow worker, another server) reaches the subscribers held by this one.
 */
export class Notifier {
  private client: pg.Client | null = null;
  private readonly handlers = new Map<string, Set<Handler>>();
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private failedReconnects = 0;
  private readonly reconnectHandlers = new Set<() => void>();

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  /** Call `handler` after every reconnect: notifications sent while the connection was down are lost. */
  onReconnect(handler: () => void): void {
    this.reconnectHandlers.add(handler);
  }

  /** Open the connection and LISTEN on every channel registered so far. */
  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on("notification", (msg) => {
      for (const h of this.handlers.get(msg.channel) ?? []) h(msg.payload ?? "");
    });
    client.on("error", (err) => {
      if (!this.closed) this.log.warn({ err: err.message }, "notification connection lost; reconnecting");
      this.scheduleReconnect();
    });
    await client.connect();
    if (this.closed) {
      // Stopped while this (re)connect was on its way: an open client would keep the process alive.
      await client.end().catch(() => undefined);
      return;
    }
    for (const channel of this.handlers.keys()) await client.query(`listen "${channel}"`);
    this.client = client;
  }

  /** Register a handler for a channel (LISTEN is issued at once when connected). */
  async on(channel: string, handler: Handler): Promise<void> {
    const set = this.handlers.get(channel) ?? new Set();
    const isNew = set.size === 0;
    set.add(handler);
    this.handlers.set(channel, set);
    const client = this.client;
    // One query at a time on this connection: callers register channels concurrently.
    if (isNew && client) await (this.listening = this.listening.then(() => client.query(`listen "${channel}"`).then(() => undefined)));
  }

  private listening: Promise<void> = Promise.resolve();

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const old = this.client;
    this.client = null;
    old?.end().catch(() => undefined);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.start().then(
        () => {
          if (this.failedReconnects > 0) this.log.info({ attempts: this.failedReconnects + 1 }, "notification connection restored");
          this.failedReconnects = 0;
          for (const h of this.reconnectHandlers) h();
        },
        (err: Error) => {
          // Once per outage: the database may be away for minutes and this retries twice a second.
          if (this.failedReconnects++ === 0 && !this.closed) this.log.warn({ err: err.message }, "notification reconnect failed; retrying until the database is back");
          this.scheduleReconnect();
        },
      );
    }, 500);
  }

  /** Close the LISTEN connection. */
  async stop(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}
