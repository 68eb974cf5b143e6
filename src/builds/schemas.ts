// What the API takes and shows for builds, as zod schemas (the routes' OpenAPI is built from them).
import { z } from "zod";
import { BuildPhase, PlanTask } from "../events/catalogue.ts";
import { RunStatus } from "../domain/statuses.ts";

/** POST /projects/{id}/builds. */
export const BuildInput = z
  .object({
    prompt: z.string().trim().min(1, "say what to build").max(8000, "at most 8000 characters"),
    /** Fix attempts after a failed test phase (default 2). */
    maxFixAttempts: z.number().int().min(0).max(5).optional(),
  })
  .strict();
export type BuildInput = z.infer<typeof BuildInput>;

/** The plan's structured output: what the model must answer. */
export const PlanOutput = z.object({ tasks: z.array(PlanTask).min(1).max(8) });
export type PlanOutput = z.infer<typeof PlanOutput>;

/** A build as the API shows it. */
export const BuildView = z.object({
  id: z.string(),
  operationId: z.string(),
  projectId: z.string(),
  prompt: z.string().nullable(),
  /** The blueprint it builds (its spec is the prompt), or null. */
  blueprintId: z.string().nullable(),
  status: RunStatus,
  phase: BuildPhase.nullable(),
  tasks: z.array(PlanTask).nullable(),
  commit: z.string().nullable(),
  previewVersion: z.number().int().nullable(),
  previewUrl: z.string().nullable(),
  screenshotUrl: z.string().nullable(),
  fixAttempts: z.number().int(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type BuildView = z.infer<typeof BuildView>;
