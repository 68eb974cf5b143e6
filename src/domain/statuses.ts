// Every status of Shipyard's operations, runs, jobs and steps, defined once; the API's schemas, the event
// catalogue and the runner protocol take theirs from here.
import { z } from "zod";

/** How anything that ends ends. */
export const FinalStatus = z.enum(["succeeded", "failed", "cancelled"]);
export type FinalStatus = z.infer<typeof FinalStatus>;

/** A run's (and any operation's) status. */
export const RunStatus = z.enum(["pending", "running", ...FinalStatus.options]);
export type RunStatus = z.infer<typeof RunStatus>;

/** A job's status: it waits in a queue before it runs. */
export const JobStatus = z.enum(["queued", "running", ...FinalStatus.options]);
export type JobStatus = z.infer<typeof JobStatus>;

export const StepStatus = z.enum(["pending", "queued", "running", "succeeded", "failed", "skipped", "cancelled"]);
export type StepStatus = z.infer<typeof StepStatus>;

/** A runner's connection status. */
export const RunnerStatus = z.enum(["online", "offline"]);
export type RunnerStatus = z.infer<typeof RunnerStatus>;

/** How one attempt of a task ended, as its executor reports it. */
export const TaskOutcome = z.enum([...FinalStatus.options, "timed_out"]);
export type TaskOutcome = z.infer<typeof TaskOutcome>;

/** Statuses after which nothing changes. */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = FinalStatus.options;

/** True for a status after which an operation (run, job) changes no more. */
export function isFinalStatus(status: string): status is FinalStatus {
  return (FinalStatus.options as readonly string[]).includes(status);
}

/** True when a step will not change any more. */
export function isFinishedStep(status: StepStatus): boolean {
  return status === "skipped" || isFinalStatus(status);
}
