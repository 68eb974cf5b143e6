import type { Pool } from "../db/pool.ts";
import type { Logger } from "../logger.ts";
import type { Notifier } from "./notifier.ts";
import { OperationFeed } from "./operation-feed.ts";
import { EVENTS_CHANNEL, readEvents, type StoredEvent } from "./store.ts";

/** Receives events in order; the array may be shared with other subscribers and must not be changed. */
type Listener = (events: StoredEvent[]) => void;

/** Events read from the table at a time. */
const BATCH = 500;

interface Subscriber {
  cursor: number;
  listener: Listener;
}

interface Topic {
  subscribers: Set<Subscriber>;
  pumping: boolean;
  again: boolean;
  /** Highest seq announced by NOTIFY; a notification during a read re-reads only if someone is still short of it. */
  announced: number;
  againIfBehind: boolean;
}

const behind = (topic: Topic) => [...topic.subscribers].some((s) => s.cursor < topic.announced);

/**
 * Fans persisted events out to in-process subscribers (SSE, WebSocket). Every delivery is read from the
 * events table, so a subscriber gets each sequence number exactly once and in order, whether it was
 * replayed after a reconnect or announced live by NOTIFY.
 */
export class EventHub {
  private readonly topics = new Map<string, Topic>();
  /** Every workspace's operation creations and status changes, on the same LISTEN connection. */
  readonly operations: OperationFeed;

  constructor(
    private readonly pool: Pool,
    notifier: Notifier,
    private readonly log: Logger,
  ) {
    this.operations = new OperationFeed(notifier, log);
    const listening = notifier.on(EVENTS_CHANNEL, (payload) => {
      const at = payload.lastIndexOf(":");
      const op = payload.slice(0, at);
      const topic = this.topics.get(op);
      if (!topic) return;
      // One transaction can announce several appends at once (e.g. a step's `succeeded` and the next step's
      // `running`): a read that already reached the announced seq for every subscriber needs no second one.
      const seq = Number(payload.slice(at + 1));
      if (!Number.isFinite(seq)) return this.pump(op);
      topic.announced = Math.max(topic.announced, seq);
      if (topic.pumping) topic.againIfBehind = true;
      else if (behind(topic)) this.pump(op);
    });
    // Until the LISTEN is in place, appends announce nothing here: once it is, read every watched operation again,
    // so that one subscribed meanwhile misses none of what was appended in between.
    void listening.then(
      () => {
        for (const op of this.topics.keys()) this.pump(op);
      },
      (err: Error) => log.warn({ err: err.message }, "listening for events failed"),
    );
    // Notifications sent while the LISTEN connection was down are lost: re-read every watched operation.
    notifier.onReconnect(() => {
      for (const op of this.topics.keys()) this.pump(op);
    });
  }

  /** Deliver every event after `since`, then each new one, until the returned function is called. */
  subscribe(operationId: string, since: number, listener: Listener): () => void {
    const topic = this.topics.get(operationId) ?? { subscribers: new Set<Subscriber>(), pumping: false, again: false, announced: 0, againIfBehind: false };
    this.topics.set(operationId, topic);
    const sub: Subscriber = { cursor: since, listener };
    topic.subscribers.add(sub);
    this.pump(operationId);
    return () => {
      topic.subscribers.delete(sub);
      if (topic.subscribers.size === 0 && this.topics.get(operationId) === topic) this.topics.delete(operationId);
    };
  }

  /** Number of operations with live subscribers (a gauge for /metrics). */
  get watchedOperations(): number {
    return this.topics.size;
  }

  private pump(operationId: string): void {
    const topic = this.topics.get(operationId);
    if (!topic) return;
    if (topic.pumping) {
      topic.again = true;
      return;
    }
    topic.pumping = true;
    void this.drain(operationId, topic)
      .catch((err: Error) => this.log.warn({ err: err.message, operationId }, "event delivery failed"))
      .finally(() => {
        topic.pumping = false;
        const again = topic.again || (topic.againIfBehind && behind(topic));
        topic.again = false;
        topic.againIfBehind = false;
        if (again) this.pump(operationId);
      });
  }

  private async drain(operationId: string, topic: Topic): Promise<void> {
    for (;;) {
      if (topic.subscribers.size === 0) return;
      let from = Number.POSITIVE_INFINITY;
      for (const s of topic.subscribers) from = Math.min(from, s.cursor);
      const batch = await readEvents(this.pool, operationId, from, BATCH);
      if (batch.length === 0) return;
      // A subscriber that joined during the read with a cursor below `from` is not served from this batch (it
      // would skip the events in between): the next round reads again from its cursor.
      let behindBatch = false;
      // Subscribers at one cursor share one slice: a thousand followers of a run are mostly at the same place.
      const slices = new Map<number, StoredEvent[]>();
      for (const sub of topic.subscribers) {
        if (sub.cursor < from) {
          behindBatch = true;
          continue;
        }
        let mine = slices.get(sub.cursor);
        if (!mine) slices.set(sub.cursor, (mine = batch.filter((e) => e.seq > sub.cursor)));
        if (mine.length === 0) continue;
        sub.cursor = mine[mine.length - 1]!.seq;
        sub.listener(mine);
      }
      if (batch.length < BATCH && !behindBatch) return;
    }
  }
}
