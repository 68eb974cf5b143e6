// Holding an SSE response open: ordered writes, heartbeats, and one end, whichever comes first: the client
// goes, the server stops (the client then resumes with Last-Event-ID), the token is revoked (in whichever server
// holds the stream), or the source says it is done.
import type { SSEMessage, SSEStreamingApi } from "hono/streaming";
import type { Revocations } from "./revocations.ts";

/** What a held stream gives its source. */
export interface SseSession {
  /** Write a message after those written before it (nothing once the stream has ended). */
  write(message: SSEMessage): void;
  /** End the stream (after what was written). */
  finish(): void;
  readonly finished: boolean;
}

export interface SseHold {
  heartbeatMs: number;
  /** Aborted when the server stops. */
  closing?: AbortSignal;
  revocations?: Revocations;
  /** The token the stream was opened with. */
  tokenId: string;
  /** Written first. */
  first?: SSEMessage;
}

/** Hold `stream` open until it ends (see above); `subscribe` starts its source and returns the unsubscribe. */
export function holdSseStream(stream: SSEStreamingApi, o: SseHold, subscribe: (session: SseSession) => () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    let writing: Promise<unknown> = o.first ? stream.writeSSE(o.first) : Promise.resolve();
    let finished = false;
    let unsubscribe = () => undefined as void;
    const heartbeat = setInterval(() => (writing = writing.then(() => stream.write(": heartbeat\n\n"))), o.heartbeatMs);
    const finish = () => {
      if (finished) return;
      finished = true;
      unsubscribe();
      untrack();
      clearInterval(heartbeat);
      o.closing?.removeEventListener("abort", finish);
      void writing.then(() => resolve(), () => resolve());
    };
    const untrack = o.revocations?.track(o.tokenId, finish) ?? (() => undefined);
    const session: SseSession = {
      write: (message) => {
        if (!finished) writing = writing.then(() => stream.writeSSE(message));
      },
      finish,
      get finished() {
        return finished;
      },
    };
    unsubscribe = subscribe(session);
    // The source may have finished while it subscribed (a replay that ends with `complete`).
    if (finished) unsubscribe();
    stream.onAbort(finish);
    o.closing?.addEventListener("abort", finish);
  });
}
