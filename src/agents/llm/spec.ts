// The language-model spec types (v3), derived from `ai`'s own exports: `ai` re-exports the model and its
// middleware but not these helper types, and `@ai-sdk/provider` is not a direct dependency of Shipyard.
import type { LanguageModel, LanguageModelMiddleware } from "ai";

/** A model that implements the AI SDK's language-model specification v3. */
export type ModelV3 = Extract<LanguageModel, { specificationVersion: "v3" }>;
/** The normalized options of one model call (prompt, tools, settings). */
export type CallOptions = Parameters<ModelV3["doGenerate"]>[0];
/** What a model's `doGenerate` returns. */
export type GenerateResult = Awaited<ReturnType<ModelV3["doGenerate"]>>;
/** What a model's `doStream` returns. */
export type StreamResult = Awaited<ReturnType<ModelV3["doStream"]>>;
/** One part of a `doStream` stream. */
export type StreamPart = StreamResult["stream"] extends ReadableStream<infer P> ? P : never;
/** One content part of a generate result (text, reasoning, tool call, ...). */
export type ContentPart = GenerateResult["content"][number];
/** The v3 token usage shape. */
export type ModelUsage = GenerateResult["usage"];
/** The v3 finish reason shape. */
export type FinishReason = GenerateResult["finishReason"];
/** Middleware for v3 models. */
export type Middleware = LanguageModelMiddleware;

/** The provider family of a model: `anthropic.messages` and `anthropic` are both `anthropic`. */
export function providerFamily(model: Pick<ModelV3, "provider">): string {
  return model.provider.split(".")[0] ?? model.provider;
}

/** Token counts from a v3 usage, with absent numbers as 0; `input` includes cached tokens. */
export function tokenCounts(usage: ModelUsage): { input: number; output: number; cached: number } {
  const cached = usage.inputTokens.cacheRead ?? 0;
  const input = usage.inputTokens.total ?? (usage.inputTokens.noCache ?? 0) + cached + (usage.inputTokens.cacheWrite ?? 0);
  return { input, output: usage.outputTokens.total ?? 0, cached };
}
