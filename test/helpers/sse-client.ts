import { createParser } from "eventsource-parser";

/** An event as received over SSE. */
export interface SseEvent {
  seq: number;
  type: string;
  payload: Record<string, any>;
}

/**
 * Read an operation's SSE stream from `since` until the server ends it (after `complete`) or `signal`
 * aborts; checks that each frame's `id:` matches the event's seq.
 */
export async function readSse(url: string, token: string, since: number, signal: AbortSignal | undefined, onEvent: (e: SseEvent) => void): Promise<{ comments: number }> {
  let comments = 0;
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream", "last-event-id": String(since) }, signal });
  if (res.status !== 200 || !res.body) throw new Error(`SSE answered ${res.status}`);
  const parser = createParser({
    onEvent: (m) => {
      const e = JSON.parse(m.data) as SseEvent;
      if (String(e.seq) !== m.id || e.type !== m.event) throw new Error(`frame id/event ${m.id}/${m.event} do not match event ${e.seq}/${e.type}`);
      onEvent(e);
    },
    onComment: () => void (comments += 1),
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) parser.feed(decoder.decode(r.value, { stream: true }));
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
  return { comments };
}
