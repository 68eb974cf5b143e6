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
  /** Called after a reconnect, when notifications may have been missed. */
  onReconnect: (() => void) | null = null;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  /** Open the connection and LISTEN on every channel registered so far. */
  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on("notification", (msg) => {
      for (const h of this.handlers.get(msg.channel) ?? []) h(msg.payload ?? "");
    });
    client.on("error", (err) => {
      this.log.warn({ err: err.message }, "notification connection lost; reconnecting");
      this.scheduleReconnect();
    });
    await client.connect();
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
        () => this.onReconnect?.(),
        (err: Error) => {
          this.log.warn({ err: err.message }, "notification reconnect failed");
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
