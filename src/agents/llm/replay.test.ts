import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateText, Output, streamText } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { cassettesDirFrom } from "./cassette.ts";
import { CassetteMissError } from "./errors.ts";
import { fingerprint } from "./fingerprint.ts";
import { resolveModel } from "./resolve.ts";
import type { CallOptions } from "./spec.ts";

const SYSTEM = "You are Shipyard's release assistant. Answer in one sentence.";
const PROMPT = "Summarize release 1.2.0: faster runners and SSE replay.";
const ANSWER = "Shipyard 1.2.0 makes runners faster and lets live event streams replay from any point.";
// The shipped cassettes, whatever SHIPYARD_CASSETTES says in the environment running the tests.
const shipped = cassettesDirFrom({});
const demo = () => resolveModel("replay:demo", { env: {}, cassettesDir: shipped });

let empty: string;
beforeAll(async () => {
  empty = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-replay-"));
});
afterAll(async () => {
  await fs.rm(empty, { recursive: true, force: true });
});

describe("replay provider", () => {
  it("plays the shipped demo cassette: the same request gets the same answer and token counts, twice", async () => {
    const first = await generateText({ model: demo(), system: SYSTEM, prompt: PROMPT });
    const second = await generateText({ model: demo(), system: SYSTEM, prompt: PROMPT });
    expect(first.text).toBe(ANSWER);
    expect(second.text).toBe(first.text);
    expect(first.finishReason).toBe("stop");
    expect([first.usage.inputTokens, first.usage.outputTokens]).toEqual([42, 19]);
    expect(second.usage).toEqual(first.usage);
  });

  it("plays a structured object, and the same answer as a stream", async () => {
    const schema = z.object({ kind: z.enum(["feature", "fix", "chore"]), confidence: z.number() });
    const classified = await generateText({ model: demo(), prompt: "Classify this job: Add a mul() function", output: Output.object({ schema }) });
    expect(classified.output).toEqual({ kind: "feature", confidence: 0.92 });
    expect(classified.usage.cachedInputTokens).toBe(64);

    const streamed = streamText({ model: demo(), system: SYSTEM, prompt: PROMPT });
    const chunks: string[] = [];
    for await (const chunk of streamed.textStream) chunks.push(chunk);
    expect(chunks.join("")).toBe(ANSWER);
    expect(await streamed.finishReason).toBe("stop");
    expect((await streamed.usage).outputTokens).toBe(19);
  });

  it("answers an unrecorded request with CassetteMissError naming the fingerprint and the file", async () => {
    const err = await generateText({ model: demo(), system: SYSTEM, prompt: "Something never recorded" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CassetteMissError);
    const miss = err as CassetteMissError;
    expect(miss.file).toBe(path.join(shipped, "demo.json"));
    expect(miss.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(miss.message).toContain(miss.fingerprint);
    expect(miss.message).toContain(miss.file);
    expect(miss.code).toBe("llm_cassette_miss");

    // A stream misses the same way rather than streaming something made up.
    const errors: unknown[] = [];
    const streamed = streamText({ model: demo(), prompt: "Something never recorded", onError: ({ error }) => void errors.push(error) });
    await expect(streamed.text).rejects.toBeInstanceOf(Error);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CassetteMissError);
  });

  it("names the missing file when a cassette does not exist, found through SHIPYARD_CASSETTES", async () => {
    const model = resolveModel("replay:nothing-here", { env: { SHIPYARD_CASSETTES: empty } });
    const err = (await generateText({ model, prompt: "hi" }).catch((e: unknown) => e)) as CassetteMissError;
    expect(err).toBeInstanceOf(CassetteMissError);
    expect(err.file).toBe(path.join(empty, "nothing-here.json"));
    expect(err.message).toContain("does not exist");
  });

  it("refuses cassette names that would leave the cassette directory", () => {
    expect(() => resolveModel("replay:../etc/passwd", { env: {} })).toThrow(/invalid cassette name/);
  });
});

describe("fingerprint", () => {
  const tools: CallOptions["tools"] = [
    { type: "function", name: "weather", description: "Weather", inputSchema: { type: "object", properties: { city: { type: "string" }, unit: { type: "string" } } } },
  ];
  const base: CallOptions = {
    prompt: [{ role: "user", content: [{ type: "text", text: "weather in Oslo?" }] }],
    tools,
    temperature: 0,
    providerOptions: { openai: { store: false, user: "u1" } },
  };

  it("is stable across object key order and ignores headers and abort signals", () => {
    const reordered: CallOptions = {
      providerOptions: { openai: { user: "u1", store: false } },
      temperature: 0,
      tools: [{ inputSchema: { properties: { unit: { type: "string" }, city: { type: "string" } }, type: "object" }, description: "Weather", name: "weather", type: "function" }],
      prompt: [{ content: [{ text: "weather in Oslo?", type: "text" }], role: "user" }],
      headers: { authorization: "Bearer secret" },
      abortSignal: new AbortController().signal,
    };
    expect(fingerprint("openai:gpt-4.1", reordered)).toBe(fingerprint("openai:gpt-4.1", base));
  });

  it("changes with the model, the prompt, the tools and the settings", () => {
    const fp = fingerprint("openai:gpt-4.1", base);
    expect(fingerprint("openai:gpt-4.1-mini", base)).not.toBe(fp);
    expect(fingerprint("openai:gpt-4.1", { ...base, prompt: [{ role: "user", content: [{ type: "text", text: "weather in Rome?" }] }] })).not.toBe(fp);
    expect(fingerprint("openai:gpt-4.1", { ...base, tools: [] })).not.toBe(fp);
    expect(fingerprint("openai:gpt-4.1", { ...base, temperature: 0.5 })).not.toBe(fp);
    expect(fingerprint("openai:gpt-4.1", { ...base, responseFormat: { type: "json" } })).not.toBe(fp);
  });
});
