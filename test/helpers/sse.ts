import { createParser } from "eventsource-parser";

/** One thing read from an SSE stream, in arrival order: an event frame or a comment line. */
export type SseItem = { kind: "event"; id: string | undefined; event: string | undefined; data: string } | { kind: "comment"; text: string };

export interface SseRead {
  status: number;
  contentType: string | null;
  /** Event frames and comments, in the order they arrived. */
  items: SseItem[];
  /** Only the event frames. */
  events: Extract<SseItem, { kind: "event" }>[];
  /** True when the server ended the response; false when the reader stopped it (`stopAfter`). */
  ended: boolean;
  /** The body of a non-200 answer. */
  body: string;
}

export interface SseOptions {
  token: string;
  /** Sent as `Last-Event-ID` when given. */
  lastEventId?: string;
  /** Stop (abort the request) once this many event frames have arrived. */
  stopAfter?: number;
  /** Stop (abort the request) after the first event frame for which this returns true. */
  stopWhen?: (e: { id: string | undefined; event: string | undefined; data: string }) => boolean;
  /** A guard against a stream that never ends: the read throws after this long. */
  guardMs?: number;
}

/** Read an SSE response with fetch until the server ends it, `stopAfter` frames arrived, or the guard fires. */
export async function readSse(url: string, opts: SseOptions): Promise<SseRead> {
  const controller = new AbortController();
  let guardFired = false;
  const guard = setTimeout(() => {
    guardFired = true;
    controller.abort();
  }, opts.guardMs ?? 30_000);
  const items: SseItem[] = [];
  let stopped = false;
  try {
    const res = await fetch(url, {
      headers: {
        authorization: `Bearer ${opts.token}`,
        accept: "text/event-stream",
        ...(opts.lastEventId !== undefined ? { "last-event-id": opts.lastEventId } : {}),
      },
      signal: controller.signal,
    });
    const contentType = res.headers.get("content-type");
    if (res.status !== 200 || !res.body) {
      return { status: res.status, contentType, items, events: [], ended: true, body: await res.text() };
    }
    const parser = createParser({
      onEvent: (m) => {
        if (stopped) return;
        items.push({ kind: "event", id: m.id, event: m.event, data: m.data });
        const enough = opts.stopAfter !== undefined && items.filter((i) => i.kind === "event").length >= opts.stopAfter;
        if (enough || opts.stopWhen?.({ id: m.id, event: m.event, data: m.data })) {
          stopped = true;
          controller.abort();
        }
      },
      onComment: (text) => void (stopped || items.push({ kind: "comment", text: text.trim() })),
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) parser.feed(decoder.decode(r.value, { stream: true }));
    } catch (err) {
      if (!stopped) throw err;
    }
    const events = items.filter((i): i is Extract<SseItem, { kind: "event" }> => i.kind === "event");
    return { status: res.status, contentType, items, events, ended: !stopped, body: "" };
  } catch (err) {
    if (guardFired) throw new Error(`SSE stream ${url} did not end within ${opts.guardMs ?? 30_000} ms (read ${items.length} items)`, { cause: err });
    throw err;
  } finally {
    clearTimeout(guard);
  }
}

/** The sequence numbers carried by `id:` lines. */
export const seqs = (r: SseRead): number[] => r.events.map((e) => Number(e.id));

/** 1..n */
export const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
