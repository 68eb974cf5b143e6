// Checking what a deployment is asked to do: the generator's config and the target, each problem named by its
// field and reason (422). The REST routes, the Connect service and the workflow's validate step all check here.
import type { z } from "zod";
import { ShipyardError } from "../domain/errors.ts";
import { GENERATORS, parseConfig, type AppDescription, type GeneratorName } from "./generators/index.ts";
import { DeploymentTarget, TARGET_OF } from "./schemas.ts";

/** One problem: the field's dotted path and what is wrong with it. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** Zod issues as field problems (the target's, the request's); an unknown key is named by its own path. */
export function fieldProblems(prefix: string, issues: readonly z.core.$ZodIssue[]): FieldProblem[] {
  return issues.flatMap((i) => {
    const at = [prefix, ...i.path.map(String)].filter(Boolean);
    if (i.code === "unrecognized_keys") return i.keys.map((k) => ({ path: [...at, k].join("."), message: `unknown key ${JSON.stringify(k)}` }));
    return [{ path: at.join("."), message: i.message }];
  });
}

/** A 422 naming every problem (the first in the message). */
export function invalidConfig(problems: FieldProblem[]): ShipyardError {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  return new ShipyardError("invalid_config", `${first.path || "config"}: ${first.message}${more}`, 422, problems);
}

/** The field problems of parseConfig's refusal (its issues are relative to the config), or null for any other error. */
function configRefusal(err: unknown): FieldProblem[] | null {
  const issues = err instanceof ShipyardError ? (err.details as { issues?: unknown } | undefined)?.issues : undefined;
  if (!Array.isArray(issues)) return null;
  return (issues as FieldProblem[]).map((i) => ({ path: i.path ? `config.${i.path}` : "config", message: i.message }));
}

/**
 * The config as given, before detection fills its defaults: every problem with a key the user gave is reported;
 * one about a key left out waits for the parse after detection (a Dockerfile may supply the build).
 */
export function checkGivenConfig(generator: GeneratorName, config: Record<string, unknown>): FieldProblem[] {
  try {
    parseConfig(generator, config);
    return [];
  } catch (err) {
    const problems = configRefusal(err);
    if (!problems) throw err;
    return problems.filter((p) => Object.hasOwn(config, p.path.split(".")[1] ?? ""));
  }
}

/** The config with the detected defaults under it, or a 422 naming the fields. */
export function resolveConfig(generator: GeneratorName, config: Record<string, unknown>, detected: Partial<AppDescription>): AppDescription {
  try {
    // Each generator's config is the app description plus its own options: what this code reads is the description's.
    return parseConfig(generator, config, detected) as AppDescription;
  } catch (err) {
    const problems = configRefusal(err);
    throw problems && problems.length > 0 ? invalidConfig(problems) : err;
  }
}

/** The execute mode's target for the generator, or the problems with it; generate mode takes none. */
export function checkTarget(generator: GeneratorName, mode: "generate" | "execute", target: unknown): { target: DeploymentTarget | null; problems: FieldProblem[] } {
  if (target === undefined || target === null) {
    return mode === "execute" ? { target: null, problems: [{ path: "target", message: `execute mode needs a target of type ${TARGET_OF[generator]}` }] } : { target: null, problems: [] };
  }
  const parsed = DeploymentTarget.safeParse(target);
  if (!parsed.success) return { target: null, problems: fieldProblems("target", parsed.error.issues) };
  if (parsed.data.type !== TARGET_OF[generator]) {
    return { target: null, problems: [{ path: "target.type", message: `the ${generator} generator deploys to a ${TARGET_OF[generator]} target, not ${parsed.data.type}` }] };
  }
  return { target: parsed.data, problems: [] };
}

/** The workspace secrets a target names (kubeconfig, terraform secret vars), by the env variable each fills. */
export function targetSecrets(target: DeploymentTarget | null): Record<string, string> {
  if (target?.type === "kubernetes") return { SHIPYARD_KUBECONFIG: target.kubeconfigSecret };
  if (target?.type === "terraform") return Object.fromEntries(Object.entries(target.secretVars).map(([k, v]) => [`TF_VAR_${k}`, v]));
  return {};
}

/** The JSON Schema of a generator's config, for editors and GET /generators. */
export const configJsonSchema = (generator: GeneratorName): Record<string, unknown> => GENERATORS[generator].configJsonSchema as Record<string, unknown>;
