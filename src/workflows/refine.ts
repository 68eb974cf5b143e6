// Shared pieces of the YAML schema's refinements.
import type { z } from "zod";

/** Marks a custom zod issue with the Shipyard issue code the parser should report. */
export function fail(ctx: z.RefinementCtx, code: string, message: string, path: PropertyKey[] = []): void {
  ctx.addIssue({ code: "custom", message, path, params: { shipyardCode: code } });
}

/** Why a model of a step is not a usable `provider:model` spec, or null (src/models/model-spec.ts decides). */
export { modelSpecProblem } from "../models/model-spec.ts";
