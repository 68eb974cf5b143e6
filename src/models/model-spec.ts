// `provider:model` specs: the one place that says which are valid. The workflow language (llm and agent steps),
// the API (jobs' agents, projects' and workspaces' default models) and the model layer all check with it.
import { z } from "zod";
import { UnknownProviderError } from "../agents/llm/errors.ts";
import { textProblem } from "../domain/text.ts";

/** The providers a spec can name. */
export const PROVIDERS = ["anthropic", "openai", "openai-compatible", "ollama", "replay"] as const;

/** A parsed spec: `model` may itself contain colons (`ollama:llama3.1:8b`). */
export interface ParsedSpec {
  provider: (typeof PROVIDERS)[number];
  model: string;
  /** The endpoint name of an `openai-compatible` spec. */
  endpoint?: string;
}

/** Split `provider:model` (or `openai-compatible:<name>:<model>`), with an error naming what is wrong. */
export function parseSpec(spec: string): ParsedSpec {
  const at = spec.indexOf(":");
  const provider = at < 0 ? spec : spec.slice(0, at);
  const rest = at < 0 ? "" : spec.slice(at + 1);
  if (!(PROVIDERS as readonly string[]).includes(provider)) {
    throw new UnknownProviderError(spec, `unknown provider ${JSON.stringify(provider)}; use one of ${PROVIDERS.join(", ")} as provider:model`);
  }
  const p = provider as ParsedSpec["provider"];
  if (p === "openai-compatible") {
    const colon = rest.indexOf(":");
    if (colon <= 0 || colon === rest.length - 1) {
      throw new UnknownProviderError(spec, "write openai-compatible:<endpoint name>:<model>");
    }
    return { provider: p, endpoint: rest.slice(0, colon), model: rest.slice(colon + 1) };
  }
  if (!rest) throw new UnknownProviderError(spec, `no model after "${provider}:"`);
  return { provider: p, model: rest };
}

/** Most characters of a spec. */
const MAX_SPEC = 200;

/**
 * A model name as it may follow the provider, or be given to Claude Code: letters and digits first, then those
 * and `. _ : / @ [ ] -`. Never a space, a quote or a leading `-` (it reaches command lines and file names).
 */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/@[\]-]*$/;

/** Why `spec` is not a usable `provider:model` spec (an unknown provider, a malformed model), or null when it is. */
export function modelSpecProblem(spec: string): string | null {
  if (spec.length > MAX_SPEC) return `must be at most ${MAX_SPEC} characters`;
  const text = textProblem(spec);
  if (text) return text;
  let parsed: ParsedSpec;
  try {
    parsed = parseSpec(spec);
  } catch (err) {
    return `must be provider:model, e.g. anthropic:claude-sonnet-4-5 or replay:demo (${(err as Error).message})`;
  }
  if (!MODEL_NAME.test(parsed.model) || (parsed.endpoint !== undefined && !MODEL_NAME.test(parsed.endpoint))) {
    return `must be provider:model, e.g. anthropic:claude-sonnet-4-5: the model is letters, digits and . _ : / @ [ ] -`;
  }
  return null;
}

/** A `provider:model` spec, checked by modelSpecProblem. */
export const ModelSpec = z.string().superRefine((spec, ctx) => {
  const problem = modelSpecProblem(spec);
  if (problem) ctx.addIssue({ code: "custom", message: `a provider:model spec: ${problem}` });
});
