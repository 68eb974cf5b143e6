import type { TaskResult } from "../runner/protocol.ts";

/** How a runner reports the end of one task attempt (the runner protocol's). */
export type { TaskResult } from "../runner/protocol.ts";

/** Messages a run workflow receives (DBOS topic `run`). */
export type RunMessage =
  | { type: "start" }
  | ({ type: "result" } & TaskResult)
  | { type: "lost"; taskId: string; dispatch: number; reason: string }
  | { type: "cancel" }
  | { type: "tick" };

export const RUN_TOPIC = "run";
