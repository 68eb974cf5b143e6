import { z } from "zod";

export const RunStatus = z.enum(["pending", "running", "succeeded", "failed", "cancelled"]);
export type RunStatus = z.infer<typeof RunStatus>;

export const StepStatus = z.enum(["pending", "queued", "running", "succeeded", "failed", "skipped", "cancelled"]);
export type StepStatus = z.infer<typeof StepStatus>;

/** Statuses after which nothing changes. */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "cancelled"];

/** True when a step will not change any more. */
export function isFinishedStep(status: StepStatus): boolean {
  return status === "succeeded" || status === "failed" || status === "skipped" || status === "cancelled";
}
