import type { TaskResult } from "../runner/protocol.ts";

/** How a runner reports the end of one task attempt (the runner protocol's). */
export type { TaskResult } from "../runner/protocol.ts";

/** Messages a run workflow receives (DBOS topic `run`). */
export type RunMessage =
  | { type: "start" }
  | ({ type: "result" } & TaskResult)
  | { type: "lost"; taskId: string; dispatch: number; reason: string }
  | { type: "cancel" }
  /** Woken by stored results (src/runs/wake.ts): apply every reported task of the run. */
  | { type: "reports" }
  | { type: "tick" };

export const RUN_TOPIC = "run";

/** The NOTIFY channel that wakes a run workflow waiting for work (src/runs/wake.ts); payload `<workflow id> <key>`. */
export const RUN_WAKE_CHANNEL = "shipyard_run_wake";
