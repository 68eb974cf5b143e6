import type { ApiEvent } from "./client.ts";
import { dim } from "./render.ts";

/** Seconds with one decimal ("12.3s"), minutes past a minute ("2m05s"). */
export function formatSeconds(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}

/** How long a step took (or has taken so far, with "…"), from its start and end times; "" before it started. */
export function stepDuration(startedAt: string | null, finishedAt: string | null, now = Date.now()): string {
  if (!startedAt) return "";
  const start = Date.parse(startedAt);
  return finishedAt ? formatSeconds(Date.parse(finishedAt) - start) : `${formatSeconds(now - start)}…`;
}

/**
 * Where a run is, added to its step lines in `run`, `rerun -f` and `logs -f`: "step 2 of 3" (the step's place in
 * the run, as `show` lists it) and the time since the run was created. Times are the server's (each event's), so
 * replaying a finished run's events shows what was live then.
 */
export class RunProgress {
  private readonly createdAt: number;

  constructor(
    private readonly steps: readonly string[],
    createdAt: string,
  ) {
    this.createdAt = Date.parse(createdAt);
  }

  /** The suffix for an event's line: "" for every event but a step's. */
  suffix(e: ApiEvent): string {
    if (e.type !== "step") return "";
    const place = this.steps.indexOf(e.payload.stepId);
    const bits = [...(place >= 0 ? [`step ${place + 1} of ${this.steps.length}`] : []), `${formatSeconds(Date.parse(e.time) - this.createdAt)} elapsed`];
    return `  ${dim(`[${bits.join(", ")}]`)}`;
  }
}
