// Live events for every page over one WebSocket (/api/v1/ws, signed in by the session cookie). Each
// subscription remembers the last seq it saw; after a reconnect (partysocket's) it subscribes again from there,
// so a page gets every event once and in order, never by polling. The same socket carries the workspace's feed
// of operation changes (a run created by the CLI, a status change) for the lists.
import ReconnectingWebSocket from "partysocket/ws";
import type { OperationChange, OperationEvent, OperationKind } from "./types.ts";

type Listener = (event: OperationEvent) => void;

interface Subscription {
  since: number;
  listeners: Set<Listener>;
  onEnded: Set<() => void>;
}

/** Follows the workspace's operation changes; `onSynced` runs once the feed is live (again): read the list then. */
interface FeedListener {
  kinds: readonly OperationKind[];
  onChange: (change: OperationChange) => void;
  onSynced: () => void;
}

type ServerFrame =
  | { type: "operation"; operation: OperationChange; operationId?: undefined }
  | { type: "subscribed_operations" | "operations_missed"; operationId?: undefined }
  | { type: "event"; operationId: string; event: OperationEvent }
  | { type: "subscribed"; operationId: string; since: number; ended: boolean }
  | { type: "unsubscribed" | "error"; operationId?: string; code?: string; message?: string };

/** The events socket of this page, shared by every component that follows an operation. */
export class LiveEvents {
  private readonly ws: ReconnectingWebSocket;
  private readonly subs = new Map<string, Subscription>();
  private readonly feed = new Set<FeedListener>();

  constructor(url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/ws`) {
    this.ws = new ReconnectingWebSocket(url, [], { minReconnectionDelay: 500, maxReconnectionDelay: 10_000 });
    this.ws.addEventListener("open", () => {
      for (const [operationId, sub] of this.subs) this.send({ type: "subscribe", operationId, since: sub.since });
      this.sendFeedKinds();
    });
    this.ws.addEventListener("message", (m: MessageEvent<string>) => this.receive(JSON.parse(m.data) as ServerFrame));
  }

  /**
   * Follow an operation from `since` (its events with a greater seq): `listener` gets each once, in order;
   * `onEnded` runs when the operation was already over. Returns the unsubscribe.
   */
  subscribe(operationId: string, since: number, listener: Listener, onEnded?: () => void): () => void {
    let sub = this.subs.get(operationId);
    if (!sub) {
      sub = { since, listeners: new Set(), onEnded: new Set() };
      this.subs.set(operationId, sub);
      this.send({ type: "subscribe", operationId, since });
    }
    sub.listeners.add(listener);
    if (onEnded) sub.onEnded.add(onEnded);
    return () => {
      const s = this.subs.get(operationId);
      if (!s) return;
      s.listeners.delete(listener);
      if (onEnded) s.onEnded.delete(onEnded);
      if (s.listeners.size === 0) {
        this.subs.delete(operationId);
        this.send({ type: "unsubscribe", operationId });
      }
    };
  }

  /**
   * Follow every operation of the workspace (of `kinds`) created or changing status. `onSynced` runs each time
   * the feed starts or restarts (after a reconnect, or when the server may have missed changes): the caller
   * reads its list once then, and applies the changes that follow, so nothing falls in between.
   */
  followOperations(kinds: readonly OperationKind[], onChange: (change: OperationChange) => void, onSynced: () => void): () => void {
    const listener: FeedListener = { kinds, onChange, onSynced };
    this.feed.add(listener);
    this.sendFeedKinds();
    return () => {
      this.feed.delete(listener);
      this.sendFeedKinds();
    };
  }

  // One feed per socket, of the kinds any listener follows (all kinds when a listener asked for none).
  private sendFeedKinds(): void {
    if (this.feed.size === 0) return this.send({ type: "unsubscribe_operations" });
    const lists = [...this.feed].map((l) => l.kinds);
    this.send(lists.some((k) => k.length === 0) ? { type: "subscribe_operations" } : { type: "subscribe_operations", kinds: [...new Set(lists.flat())] });
  }

  /** Close the socket (signing out). */
  close(): void {
    this.ws.close();
  }

  private send(frame: Record<string, unknown>): void {
    // Sent only while open: the open handler subscribes everything again from its last seq.
    if (this.ws.readyState === ReconnectingWebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private receive(frame: ServerFrame): void {
    if (frame.type === "operation") {
      for (const l of this.feed) if (l.kinds.length === 0 || l.kinds.includes(frame.operation.kind)) l.onChange(frame.operation);
      return;
    }
    if (frame.type === "subscribed_operations" || frame.type === "operations_missed") {
      for (const l of this.feed) l.onSynced();
      return;
    }
    if (!frame.operationId) return;
    const sub = this.subs.get(frame.operationId);
    if (!sub) return;
    if (frame.type === "event") {
      if (frame.event.seq <= sub.since) return;
      sub.since = frame.event.seq;
      for (const l of sub.listeners) l(frame.event);
    } else if (frame.type === "subscribed" && frame.ended) {
      for (const e of sub.onEnded) e();
    }
  }
}
