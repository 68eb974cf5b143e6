// Hooks every page shares: the live events socket, following an operation, and run/job status helpers.
import { useRouteContext } from "@tanstack/react-router";
import { useEffect } from "react";
import { get } from "./client.ts";
import type { LiveEvents } from "./live.ts";
import type { OperationChange, OperationEvent, OperationKind } from "./types.ts";

/** The page's live events socket. */
export function useLive(): LiveEvents {
  return useRouteContext({ from: "__root__" }).live;
}

/** Follow operations while the component is shown; `onEvent` sees each of their events once, in order. */
export function useOperationEvents(ids: readonly string[], onEvent: (event: OperationEvent) => void, since = 0): void {
  const live = useLive();
  const key = ids.join(",");
  useEffect(() => {
    const offs = ids.map((id) => live.subscribe(id, since, onEvent));
    return () => offs.forEach((off) => off());
    // onEvent is read through the closure of the latest render only when the ids change: callers keep it stable.
  }, [live, key, since]);
}

/**
 * Follow the workspace's operations of `kinds` while the component is shown: `onSynced` when the feed is live
 * (read the list then), `onChange` for each creation or status change after it. Callers keep both stable.
 */
export function useOperationFeed(kinds: readonly OperationKind[], onChange: (change: OperationChange) => void, onSynced: () => void): void {
  const live = useLive();
  const key = kinds.join(",");
  useEffect(() => live.followOperations(kinds, onChange, onSynced), [live, key, onChange, onSynced]);
}

const HISTORY_PAGE = 5000;

/**
 * Follow one operation from its first event: the history is read as JSON pages (thousands of events per
 * request, not one socket frame each), then the socket takes over from the last seq read.
 */
export function useOperationHistory(id: string, onEvent: (event: OperationEvent) => void): void {
  const live = useLive();
  useEffect(() => {
    let stopped = false;
    let off = () => {};
    void (async () => {
      let since = 0;
      try {
        for (;;) {
          const page = await get<{ events: OperationEvent[] }>(`/operations/${encodeURIComponent(id)}/events?since=${since}&limit=${HISTORY_PAGE}`);
          if (stopped) return;
          for (const e of page.events) onEvent(e);
          since = page.events.at(-1)?.seq ?? since;
          if (page.events.length < HISTORY_PAGE) break;
        }
      } finally {
        // A failed read leaves the rest to the socket, from the last seq delivered.
        if (!stopped) off = live.subscribe(id, since, onEvent);
      }
    })();
    return () => {
      stopped = true;
      off();
    };
  }, [live, id, onEvent]);
}

/** Statuses after which nothing changes any more. */
export const FINAL = new Set(["succeeded", "failed", "cancelled"]);

/** A duration between two instants (or until now), as people read it. */
export function duration(from: string | null, to: string | null): string {
  if (!from) return "";
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A time as a short local string. */
export function when(t: string | null): string {
  return t ? new Date(t).toLocaleString() : "";
}
