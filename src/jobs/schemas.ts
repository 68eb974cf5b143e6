import { z } from "zod";

/** How a job's agent runs; model-backed agents plug in here later. */
export const Executor = z.discriminatedUnion("type", [
  z.object({ type: z.literal("command"), command: z.string().min(1).max(10_000) }).strict(),
  z.object({ type: z.literal("patch"), diff: z.string().min(1).max(2 * 1024 * 1024) }).strict(),
]);
export type Executor = z.infer<typeof Executor>;

export const JobQueue = z.enum(["rework", "backlog"]);
export type JobQueue = z.infer<typeof JobQueue>;

export const JobStatus = z.enum(["queued", "running", "succeeded", "failed", "cancelled"]);
export type JobStatus = z.infer<typeof JobStatus>;

/** The stages of a job, in order; each is one checkpointed step of the job workflow. */
export const STAGES = ["credentials", "prepare", "agent", "verify", "push", "pull_request", "cleanup"] as const;
export type Stage = (typeof STAGES)[number];

export const ProjectInput = z
  .object({
    name: z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "letters, digits, '.', '_' and '-'"),
    repo: z.string().min(1).max(2000),
    defaultBranch: z.string().min(1).max(250).default("main"),
    verify: z.array(z.string().min(1).max(2000)).max(50).default([]),
    onVerifyFailure: z.enum(["fail", "rework"]).default("fail"),
    maxAttempts: z.number().int().min(1).max(20).default(3),
    /** Git credentials (e.g. a token): kept encrypted, never returned. */
    credentials: z.string().min(1).max(10_000).optional(),
    github: z
      .object({ owner: z.string().min(1), repo: z.string().min(1), apiUrl: z.string().url().optional() })
      .strict()
      .optional(),
  })
  .strict();
export type ProjectInput = z.infer<typeof ProjectInput>;

export const JobInput = z
  .object({
    projectId: z.string().min(1).max(100),
    prompt: z.string().min(1).max(100_000),
    queue: JobQueue.default("backlog"),
    executor: Executor,
  })
  .strict();
export type JobInput = z.infer<typeof JobInput>;

export const JobMove = z
  .object({ queue: JobQueue.optional(), position: z.number().int().min(1).optional() })
  .strict()
  .refine((m) => m.queue !== undefined || m.position !== undefined, "give a queue, a position or both");
export type JobMove = z.infer<typeof JobMove>;
