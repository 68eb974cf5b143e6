// Live events for every page over one WebSocket (/api/v1/ws, signed in by the session cookie). Each
// subscription remembers the last seq it saw; after a reconnect (partysocket's) it subscribes again from there,
// so a page gets every event once and in order, never by polling.
import ReconnectingWebSocket from "partysocket/ws";
import type { OperationEvent } from "./types.ts";

type Listener = (event: OperationEvent) => void;

interface Subscription {
  since: number;
  listeners: Set<Listener>;
  onEnded: Set<() => void>;
}

type ServerFrame =
  | { type: "event"; operationId: string; event: OperationEvent }
  | { type: "subscribed"; operationId: string; since: number; ended: boolean }
  | { type: "unsubscribed" | "error"; operationId?: string; code?: string; message?: string };

/** The events socket of this page, shared by every component that follows an operation. */
export class LiveEvents {
  private readonly ws: ReconnectingWebSocket;
  private readonly subs = new Map<string, Subscription>();

  constructor(url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/ws`) {
    this.ws = new ReconnectingWebSocket(url, [], { minReconnectionDelay: 500, maxReconnectionDelay: 10_000 });
    this.ws.addEventListener("open", () => {
      for (const [operationId, sub] of this.subs) this.send({ type: "subscribe", operationId, since: sub.since });
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

  /** Close the socket (signing out). */
  close(): void {
    this.ws.close();
  }

  private send(frame: Record<string, unknown>): void {
    // Sent only while open: the open handler subscribes everything again from its last seq.
    if (this.ws.readyState === ReconnectingWebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private receive(frame: ServerFrame): void {
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
