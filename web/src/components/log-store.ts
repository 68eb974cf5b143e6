// The lines of one operation's log as they arrive. Thousands of events can arrive in a burst: they are appended
// to one array and the view is told at most once per frame, so a 10,000-line log costs one render, not 10,000.
import type { LogEvent } from "../api/types.ts";

/** One line of a step's output. */
export interface LogLine {
  seq: number;
  stepId: string;
  stream: LogEvent["payload"]["stream"];
  line: string;
}

/** An append-only log with a version number for useSyncExternalStore. */
export class LogStore {
  readonly lines: LogLine[] = [];
  private version = 0;
  private readonly listeners = new Set<() => void>();
  private scheduled = false;

  /** Append one log event's line. */
  push(e: LogEvent): void {
    this.lines.push({ seq: e.seq, stepId: e.payload.stepId, stream: e.payload.stream, line: e.payload.line });
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.version++;
      for (const l of this.listeners) l();
    });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): number => this.version;
}
