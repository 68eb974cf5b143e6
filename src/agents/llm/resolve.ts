// `provider:model` specs to AI SDK models. Keys come from a workspace secret (through the injected
// `getSecret`) or the environment, and go straight into the provider: they are never logged or returned.
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { createOllama } from "ollama-ai-provider-v2";
import { cassetteNameFor, cassettesDirFrom } from "./cassette.ts";
import { MissingApiKeyError, UnknownProviderError } from "./errors.ts";
import { parseSpec, type ParsedSpec } from "../../models/model-spec.ts";
import { recordingModel, replayModel } from "./replay.ts";
import type { ModelV3 } from "./spec.ts";

/** A secret lookup; the workspace's secret store is async, a test's map is not. */
export type GetSecret = (name: string) => string | null | undefined | Promise<string | null | undefined>;

/** An OpenAI-compatible endpoint defined in configuration. */
export interface Endpoint {
  baseURL: string;
  /** Env variable / secret holding its key; default `<NAME>_API_KEY`. Without a key no auth header is sent. */
  apiKeyName?: string;
  /** The server honours JSON-schema response formats (vLLM, OpenAI do); else only JSON mode is asked for. */
  supportsStructuredOutputs?: boolean;
}

/** How to resolve a spec. */
export interface ResolveOptions {
  getSecret?: GetSecret;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to SHIPYARD_CASSETTES or `cassettes/` at the repo root. */
  cassettesDir?: string;
  /** Record real calls into a cassette; defaults to SHIPYARD_RECORD=1. */
  record?: boolean;
  /** The cassette to record into; defaults to SHIPYARD_CASSETTE, else a name derived from the spec. */
  cassette?: string;
  /** Named OpenAI-compatible endpoints for `openai-compatible:<name>:<model>`. */
  endpoints?: Record<string, Endpoint>;
}

// Which specs are valid is src/models/model-spec.ts's to say; the model layer resolves what it accepts.
export { parseSpec, PROVIDERS, type ParsedSpec } from "../../models/model-spec.ts";

/** The environment-variable prefix of an endpoint name: `my-vllm` → `MY_VLLM`. */
export function envPrefix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
}

/** The AI SDK model for `spec`, recording into a cassette when asked to. */
export function resolveModel(spec: string, opts: ResolveOptions = {}): ModelV3 {
  const env = opts.env ?? process.env;
  const parsed = parseSpec(spec);
  const dir = cassettesDirFrom(env, opts.cassettesDir);
  if (parsed.provider === "replay") return replayModel(dir, parsed.model);
  const model = realModel(spec, parsed, env, opts);
  if (!(opts.record ?? env.SHIPYARD_RECORD === "1")) return model;
  const name = opts.cassette ?? env.SHIPYARD_CASSETTE ?? cassetteNameFor(spec);
  return recordingModel(model, { spec, dir, name });
}

/**
 * The API key a spec needs before any call can work: its provider and the variable (or workspace secret) name,
 * or null when it needs none (replay, ollama, an endpoint without a key). Throws what resolving would (an
 * unknown provider, an endpoint without a base URL), so a run or job can be refused when it is submitted.
 */
export function requiredKey(spec: string, env: NodeJS.ProcessEnv = process.env, endpoints?: Record<string, Endpoint>): { provider: string; keyName: string } | null {
  const p = parseSpec(spec);
  if (p.provider === "anthropic") return { provider: "anthropic", keyName: "ANTHROPIC_API_KEY" };
  if (p.provider === "openai") return { provider: "openai", keyName: "OPENAI_API_KEY" };
  if (p.provider === "openai-compatible") {
    const name = p.endpoint ?? "";
    const prefix = envPrefix(name);
    if (!endpoints?.[name]?.baseURL && !env[`${prefix}_BASE_URL`]) {
      throw new UnknownProviderError(spec, `no base URL for endpoint ${JSON.stringify(name)}: set ${prefix}_BASE_URL or configure endpoints.${name}`);
    }
  }
  return null;
}

function realModel(spec: string, p: ParsedSpec, env: NodeJS.ProcessEnv, opts: ResolveOptions): ModelV3 {
  switch (p.provider) {
    case "anthropic":
      return withKey("anthropic", p.model, "ANTHROPIC_API_KEY", true, env, opts.getSecret, (apiKey) =>
        createAnthropic({ apiKey: apiKey ?? "", baseURL: env.ANTHROPIC_BASE_URL })(p.model),
      );
    case "openai":
      return withKey("openai", p.model, "OPENAI_API_KEY", true, env, opts.getSecret, (apiKey) =>
        createOpenAI({ apiKey: apiKey ?? "", baseURL: env.OPENAI_BASE_URL })(p.model),
      );
    case "ollama":
      return createOllama({ baseURL: env.OLLAMA_BASE_URL })(p.model);
    default: {
      const name = p.endpoint ?? "";
      const prefix = envPrefix(name);
      const configured = opts.endpoints?.[name];
      const baseURL = configured?.baseURL ?? env[`${prefix}_BASE_URL`];
      if (!baseURL) {
        throw new UnknownProviderError(spec, `no base URL for endpoint ${JSON.stringify(name)}: set ${prefix}_BASE_URL or configure endpoints.${name}`);
      }
      const keyName = configured?.apiKeyName ?? `${prefix}_API_KEY`;
      return withKey(name, p.model, keyName, false, env, opts.getSecret, (apiKey) =>
        createOpenAICompatible({ name, baseURL, apiKey, includeUsage: true, supportsStructuredOutputs: configured?.supportsStructuredOutputs }).chatModel(p.model),
      );
    }
  }
}

/**
 * Build the model once its key is known. Without `getSecret` the environment decides now (so a missing key
 * fails at resolve time); with it the workspace secret wins over the environment and is looked up on the
 * first call, because the secret store is async. A failed lookup is not cached, so adding the secret helps.
 */
function withKey(
  provider: string,
  modelId: string,
  keyName: string,
  required: boolean,
  env: NodeJS.ProcessEnv,
  getSecret: GetSecret | undefined,
  build: (apiKey: string | undefined) => ModelV3,
): ModelV3 {
  const fromEnv = env[keyName] || undefined;
  if (!getSecret) {
    if (required && !fromEnv) throw new MissingApiKeyError(provider, keyName, false);
    return build(fromEnv);
  }
  let inner: Promise<ModelV3> | undefined;
  const load = (): Promise<ModelV3> => {
    if (inner) return inner;
    const attempt = Promise.resolve(getSecret(keyName)).then((secret) => {
      const key = secret || fromEnv;
      if (required && !key) throw new MissingApiKeyError(provider, keyName, true);
      return build(key);
    });
    inner = attempt;
    attempt.catch(() => {
      if (inner === attempt) inner = undefined;
    });
    return attempt;
  };
  return {
    specificationVersion: "v3",
    provider,
    modelId,
    // The AI SDK may read this without awaiting it: a missing key must not become an unhandled rejection (it
    // crashed the server); the call itself (doGenerate/doStream) reports it.
    get supportedUrls() {
      return load().then(
        (m) => m.supportedUrls,
        () => ({}),
      );
    },
    doGenerate: async (params) => (await load()).doGenerate(params),
    doStream: async (params) => (await load()).doStream(params),
  };
}
