/** Resolving the inputs a run was started with against a workflow's declared inputs. */
import type { InputSpec, InputValue, WorkflowDef } from "./schema.ts";
import { didYouMean } from "./suggest.ts";

export interface InputProblem {
  input: string;
  message: string;
}

/** Thrown by resolveInputs with every problem found, not just the first. */
export class InputError extends Error {
  constructor(readonly problems: InputProblem[]) {
    super(`invalid inputs:\n${problems.map((p) => `  - ${p.input}: ${p.message}`).join("\n")}`);
    this.name = "InputError";
  }
}

/** Shows a provided value in a message. */
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return String(value);
}

/** Coerces one provided value to the declared type; CLI values arrive as strings, so "3" and "true" are accepted. */
function coerce(spec: InputSpec, value: unknown): InputValue | { problem: string } {
  switch (spec.type) {
    case "string":
      if (typeof value === "string") return value;
      if (typeof value === "number" || typeof value === "boolean") return String(value);
      return { problem: `must be a string, got ${show(value)}` };
    case "number": {
      if (typeof value === "number" && Number.isFinite(value)) return value;
      const parsed = typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
      return Number.isFinite(parsed) ? parsed : { problem: `must be a number, got ${show(value)}` };
    }
    case "boolean":
      if (typeof value === "boolean") return value;
      if (typeof value === "string" && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === "true";
      return { problem: `must be true or false, got ${show(value)}` };
  }
}

/**
 * Applies defaults, coerces CLI strings and checks types. Inputs that are optional, have no default and
 * were not provided are left out, so expressions see null for them.
 */
export function resolveInputs(def: WorkflowDef, provided: Readonly<Record<string, unknown>>): Record<string, InputValue> {
  const problems: InputProblem[] = [];
  const resolved: Record<string, InputValue> = {};
  const declared = Object.keys(def.inputs);
  for (const name of Object.keys(provided)) {
    if (Object.prototype.hasOwnProperty.call(def.inputs, name)) continue;
    const known = declared.length === 0 ? "this workflow takes no inputs" : `known inputs: ${declared.join(", ")}`;
    problems.push({ input: name, message: `unknown input${didYouMean(name, declared)}; ${known}` });
  }
  for (const [name, spec] of Object.entries(def.inputs)) {
    const value = Object.prototype.hasOwnProperty.call(provided, name) ? provided[name] : undefined;
    if (value === undefined) {
      if (spec.default !== undefined) resolved[name] = spec.default;
      else if (spec.required) problems.push({ input: name, message: `required input is missing; pass it as ${name}=<${spec.type}>` });
      continue;
    }
    const result = coerce(spec, value);
    if (typeof result === "object") problems.push({ input: name, message: result.problem });
    else resolved[name] = result;
  }
  if (problems.length > 0) throw new InputError(problems);
  return resolved;
}
