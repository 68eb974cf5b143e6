// A request's fingerprint: a SHA-256 over the normalized request, so the same request always finds the same
// cassette entry. Only what shapes the answer is hashed; headers (API keys), abort signals and raw-chunk
// flags are left out, and object keys are sorted so key order never changes the hash.
import { createHash } from "node:crypto";
import type { CallOptions } from "./spec.ts";

/** The parts of a call that decide the model's answer, in a JSON-safe form. */
export interface NormalizedRequest {
  model: string;
  prompt: unknown;
  tools?: unknown;
  toolChoice?: unknown;
  responseFormat?: unknown;
  settings: Record<string, unknown>;
  providerOptions?: unknown;
}

const SETTINGS = [
  "maxOutputTokens",
  "temperature",
  "stopSequences",
  "topP",
  "topK",
  "presencePenalty",
  "frequencyPenalty",
  "seed",
] as const;

/** The normalized request for `model` (a `provider:model` spec) and the call's options. */
export function normalizeRequest(model: string, params: CallOptions): NormalizedRequest {
  const settings: Record<string, unknown> = {};
  for (const key of SETTINGS) if (params[key] !== undefined) settings[key] = params[key];
  return canonical({
    model,
    prompt: params.prompt,
    tools: params.tools,
    toolChoice: params.toolChoice,
    responseFormat: params.responseFormat,
    settings,
    providerOptions: params.providerOptions,
  }) as NormalizedRequest;
}

/** The fingerprint (64 hex characters) of a call of `model` with `params`. */
export function fingerprint(model: string, params: CallOptions): string {
  return fingerprintOf(normalizeRequest(model, params));
}

/**
 * The fingerprint of an already normalized request. The bytes of a file or image part are left out (only that one
 * is there, with its media type, counts): a screenshot of the same page differs by a few pixels from one machine's
 * fonts and Chromium to another's, and a recorded conversation must still replay there.
 */
export function fingerprintOf(request: NormalizedRequest): string {
  return createHash("sha256").update(JSON.stringify(withoutBytes(canonical(request)))).digest("hex");
}

/** A canonical value with every `{$bytes}` replaced by a placeholder. */
function withoutBytes(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(withoutBytes);
  if ("$bytes" in value) return { $bytes: "*" };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutBytes(v)]));
}

/** A JSON-safe copy of `value` with sorted object keys, bytes as base64, URLs and dates as strings. */
export function canonical(value: unknown): unknown {
  if (value === null || typeof value !== "object") return typeof value === "function" ? undefined : value;
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString("base64") };
  if (value instanceof ArrayBuffer) return { $bytes: Buffer.from(value).toString("base64") };
  if (value instanceof URL) return value.href;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => canonical(v) ?? null);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = canonical((value as Record<string, unknown>)[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}
