import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import type { LogStore } from "./log-store.ts";

const ROW_PX = 20;

/**
 * A step's (or every step's) log, virtualised: only the rows in view are in the DOM, so 10,000+ lines scroll
 * as fast as 10. It follows the end while the reader is at the bottom, and stops following when they scroll up.
 */
export function LogView({ store, stepId, label }: { store: LogStore; stepId: string | null; label: string }) {
  const version = useSyncExternalStore(store.subscribe, store.snapshot);
  const lines = useMemo(() => (stepId ? store.lines.filter((l) => l.stepId === stepId) : store.lines.slice()), [store, stepId, version]);
  const parent = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const rows = useVirtualizer({ count: lines.length, getScrollElement: () => parent.current, estimateSize: () => ROW_PX, overscan: 20 });
  useEffect(() => {
    if (follow && lines.length > 0) rows.scrollToIndex(lines.length - 1, { align: "end" });
  }, [follow, lines.length, rows]);
  return (
    <div className="logs">
      <div className="log-meta" aria-live="polite">
        {lines.length} lines{follow ? "" : " (scrolled up: not following)"}
      </div>
      <div
        ref={parent}
        className="log-scroll"
        role="log"
        aria-label={label}
        tabIndex={0}
        data-lines={lines.length}
        onScroll={(e) => {
          const el = e.currentTarget;
          setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < ROW_PX * 2);
        }}
      >
        <div style={{ height: rows.getTotalSize(), position: "relative" }}>
          {rows.getVirtualItems().map((v) => {
            const l = lines[v.index]!;
            return (
              <div key={v.key} className={`log-line log-${l.stream}`} data-index={v.index} style={{ position: "absolute", top: 0, transform: `translateY(${v.start}px)`, height: ROW_PX }}>
                {!stepId && <span className="log-step">{l.stepId}</span>}
                <span>{l.line}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
