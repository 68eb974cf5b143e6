// The catalogue of deployment generators and the one way to read a config for them: detection's defaults
// under the user's config, then the generator's strict schema.
import type { z } from "zod";
import { ShipyardError } from "../../domain/errors.ts";
import type { AppDescription } from "./app.ts";
import { dockerCompose } from "./docker-compose.ts";
import { helm } from "./helm.ts";
import { kubernetes } from "./kubernetes.ts";
import { terraform } from "./terraform.ts";
import { GENERATOR_NAMES, type GeneratorName, type GeneratorSpec } from "./spec.ts";

export { AppDescription, appName } from "./app.ts";
export { detectApp, type DetectOptions } from "./detect.ts";
export { GENERATOR_NAMES, type ExecuteCommand, type GeneratedFile, type GeneratedProblem, type GeneratorName, type GeneratorSpec, type ValidateOptions } from "./spec.ts";

/** Every generator, by name. */
export const GENERATORS: Record<GeneratorName, GeneratorSpec> = {
  "docker-compose": dockerCompose,
  helm,
  kubernetes,
  terraform,
};

/** What GET /generators shows of each generator: its name, what it writes, and its config's JSON Schema. */
export function generatorSummaries(): { name: GeneratorName; description: string; configJsonSchema: object }[] {
  return GENERATOR_NAMES.map((name) => ({ name, description: GENERATORS[name].description, configJsonSchema: GENERATORS[name].configJsonSchema }));
}

/** One reason a config is refused: the field (dotted path, "" for the whole config) and why. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** zod's issues as field and reason; an unknown key is named by its own path (`ingress.hots`). */
export function configIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ path: [...at, key].join("."), message: "unknown key" }));
    // A bad key of a map (env) says why the key is bad, not only that it is.
    if (issue.code === "invalid_key") return [{ path: at.join("."), message: `bad key: ${issue.issues.map((i) => i.message).join("; ")}` }];
    return [{ path: at.join("."), message: issue.message }];
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Detected defaults under the user's config: the user's keys win; env maps merge; image or build comes from one side only. */
export function mergeDetected(config: Record<string, unknown>, detected: Partial<AppDescription> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = { ...detected };
  if ("image" in config || "build" in config) {
    delete base.image;
    delete base.build;
  }
  const merged: Record<string, unknown> = { ...base, ...config };
  if (isRecord(detected.env) && isRecord(config.env)) merged.env = { ...detected.env, ...config.env };
  return merged;
}

/** Parse a config for a generator: defaults from detection merged under the user's config; a zod error names the field and reason. */
export function parseConfig(generator: GeneratorName, config: unknown, detected?: Partial<AppDescription>): Record<string, unknown> {
  // Own keys only: "toString" names no generator.
  const spec = Object.hasOwn(GENERATORS, generator) ? GENERATORS[generator] : undefined;
  if (!spec) throw new ShipyardError("invalid_request", `generator: no generator "${String(generator)}"; the generators are: ${GENERATOR_NAMES.join(", ")}`, 400);
  if (!isRecord(config)) throw new ShipyardError("invalid_request", "config: must be an object", 400, { issues: [{ path: "", message: "must be an object" }] });
  const parsed = spec.config.safeParse(mergeDetected(config, detected));
  // zod's records skip a "__proto__" key without a word: refuse it rather than drop an env variable.
  const dropped = isRecord(config.env) && Object.hasOwn(config.env, "__proto__") ? [{ path: "env.__proto__", message: "cannot be an env variable's name here" }] : [];
  if (!parsed.success || dropped.length > 0) {
    const issues = [...dropped, ...(parsed.success ? [] : configIssues(parsed.error))];
    const text = issues.map((i) => `config${i.path ? `.${i.path}` : ""}: ${i.message}`).join("; ");
    throw new ShipyardError("invalid_request", text, 400, { issues });
  }
  return parsed.data;
}
