// Shared pieces of the YAML schema's refinements.
import type { z } from "zod";

/** Marks a custom zod issue with the Shipyard issue code the parser should report. */
export function fail(ctx: z.RefinementCtx, code: string, message: string, path: PropertyKey[] = []): void {
  ctx.addIssue({ code: "custom", message, path, params: { shipyardCode: code } });
}

/** `provider:model` with both sides non-empty (the model may contain colons: `ollama:llama3.1:8b`). */
export const MODEL_SPEC = /^[^:\s]+:\S.*$/;
