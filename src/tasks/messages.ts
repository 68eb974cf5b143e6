import { z } from "zod";

/** How a runner reports the end of one task attempt. */
export const TaskResult = z.object({
  taskId: z.string(),
  dispatch: z.number().int(),
  status: z.enum(["succeeded", "failed", "cancelled", "timed_out"]),
  exitCode: z.number().int().nullable(),
  outputs: z.record(z.string(), z.string()),
  error: z.string().optional(),
  durationMs: z.number().nonnegative(),
});
export type TaskResult = z.infer<typeof TaskResult>;

/** Messages a run workflow receives (DBOS topic `run`). */
export type RunMessage =
  | { type: "start" }
  | ({ type: "result" } & TaskResult)
  | { type: "lost"; taskId: string; dispatch: number; reason: string }
  | { type: "cancel" }
  | { type: "tick" };

export const RUN_TOPIC = "run";
