// Rules for step fields beyond their types: where a working directory may point, and which fields a step kind
// would otherwise silently ignore.
import { z } from "zod";
import { fail } from "./refine.ts";

/** Why `dir` cannot be a step's working directory (a path inside the run's workspace), or null when it can. */
export function workingDirectoryProblem(dir: string): string | null {
  if (dir.trim() === "") return "must not be empty; leave it out to run in the workspace itself";
  if (dir.includes("${{")) return "must be a plain path: expressions are not evaluated in it";
  if (dir.startsWith("/") || dir.startsWith("\\") || /^[A-Za-z]:/.test(dir) || dir.startsWith("~")) {
    return `must be relative to the run's workspace, not absolute (${JSON.stringify(dir.slice(0, 100))})`;
  }
  if (dir.split(/[\\/]/).includes("..")) return `must stay inside the run's workspace: ".." is not allowed (${JSON.stringify(dir.slice(0, 100))})`;
  return null;
}

/** A step's `working-directory`: a path inside the run's workspace, checked as written. */
export const workingDirectorySchema = z
  .string()
  .max(1000, { error: "must be at most 1000 characters long", abort: true })
  .superRefine((dir, ctx) => {
    const problem = workingDirectoryProblem(dir);
    if (problem) fail(ctx, "bad_value", problem);
  });

/** Fields an `llm` step would silently ignore: the server makes its model call, no process runs. */
export function checkLlmStepFields(step: Readonly<Record<string, unknown>>, ctx: z.RefinementCtx): void {
  const unused: Record<string, string> = {
    env: "an llm step runs no process, so it has no environment; put the values into its prompt",
    outputs: "an llm step's outputs are `text`, or with a `schema` that schema's properties; drop `outputs`",
    workingDirectory: "an llm step runs no process, so it has no working directory",
    "working-directory": "an llm step runs no process, so it has no working directory",
  };
  for (const [key, message] of Object.entries(unused)) {
    if (step[key] !== undefined) fail(ctx, "unused_field", message, [key]);
  }
}
