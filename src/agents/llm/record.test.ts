import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateText, Output, streamText, tool } from "ai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { readCassette } from "./cassette.ts";
import { CassetteMissError } from "./errors.ts";
import { startFakeOpenAI, type FakeOpenAI, type FakeRequest } from "./fake-openai.ts";
import { resolveModel } from "./resolve.ts";

const KEY = "sk-test-never-in-a-cassette";
const SPEC = "openai-compatible:fake:gpt-4.1-mini";
const weather = tool({ description: "Current weather", inputSchema: z.object({ city: z.string() }) });
const person = z.object({ name: z.string(), age: z.number() });

let fake: FakeOpenAI;
let dir: string;

// Answers depend on the request and on how many came before, so a replay that reached the server would differ.
function reply(body: FakeRequest["body"]) {
  const n = fake.requests.length;
  if (body.tools) return { toolCalls: [{ id: `call_${n}`, name: "weather", arguments: '{"city":"Oslo"}' }], usage: { prompt_tokens: 40, completion_tokens: 12 } };
  if (body.response_format) return { text: `{"name":"Ada","age":${35 + n}}`, usage: { prompt_tokens: 30, completion_tokens: 9 } };
  return { text: `You said ${JSON.stringify(body.messages.at(-1)?.content)} (call ${n})`, usage: { prompt_tokens: 21, completion_tokens: 7, cached_tokens: 4 } };
}

beforeEach(async () => {
  fake = await startFakeOpenAI(reply);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-cassettes-"));
});
afterEach(async () => {
  await fake.close();
  await fs.rm(dir, { recursive: true, force: true });
});

// The endpoint comes from configuration here (from FAKE_BASE_URL in the SHIPYARD_RECORD test below).
const recorder = () =>
  resolveModel(SPEC, {
    env: { FAKE_API_KEY: KEY },
    endpoints: { fake: { baseURL: fake.baseURL, supportsStructuredOutputs: true } },
    cassettesDir: dir,
    record: true,
    cassette: "roundtrip",
  });
const player = () => resolveModel("replay:roundtrip", { env: {}, cassettesDir: dir });

describe("record then replay through a fake OpenAI-compatible server", () => {
  it("records a generate call (the key goes to the server, never to the file) and replays it offline, identical", async () => {
    const live = await generateText({ model: recorder(), system: "Be brief.", prompt: "hello there", temperature: 0 });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.authorization).toBe(`Bearer ${KEY}`);
    expect(live.text).toBe('You said "hello there" (call 1)');

    const file = path.join(dir, "roundtrip.json");
    const cassette = await readCassette(file);
    expect(cassette?.model).toBe(SPEC);
    const entries = Object.values(cassette?.entries ?? {});
    expect(entries).toHaveLength(1);
    expect(entries[0]?.response.usage).toEqual({ inputTokens: 21, outputTokens: 7, cachedInputTokens: 4 });
    expect(await fs.readFile(file, "utf8")).not.toContain(KEY);

    await fake.close(); // offline from here
    const replayed = await generateText({ model: player(), system: "Be brief.", prompt: "hello there", temperature: 0 });
    expect(replayed.text).toBe(live.text);
    expect(replayed.finishReason).toBe(live.finishReason);
    expect([replayed.usage.inputTokens, replayed.usage.outputTokens, replayed.usage.cachedInputTokens]).toEqual([21, 7, 4]);

    // A different setting is a different request: a named miss, not an answer.
    const miss = await generateText({ model: player(), system: "Be brief.", prompt: "hello there", temperature: 1 }).catch((e: unknown) => e);
    expect(miss).toBeInstanceOf(CassetteMissError);
    expect((miss as CassetteMissError).file).toBe(file);
    fake = await startFakeOpenAI(reply); // for afterEach
  });

  it("records a stream and replays it as a stream and as a generate call", async () => {
    const live = streamText({ model: recorder(), prompt: "stream this please" });
    const liveText = await live.text;
    expect(liveText).toBe('You said "stream this please" (call 1)');
    expect(fake.requests[0]?.body.stream).toBe(true);

    const replayed = streamText({ model: player(), prompt: "stream this please" });
    expect(await replayed.text).toBe(liveText);
    expect((await replayed.usage).inputTokens).toBe(21);
    const generated = await generateText({ model: player(), prompt: "stream this please" });
    expect(generated.text).toBe(liveText);
    expect(fake.requests).toHaveLength(1);
  });

  it("records tool calls and structured objects, and replays both", async () => {
    const called = await generateText({ model: recorder(), prompt: "What is the weather in Oslo?", tools: { weather } });
    expect(called.toolCalls.map((c) => [c.toolName, c.input])).toEqual([["weather", { city: "Oslo" }]]);
    const obj = await generateText({ model: recorder(), prompt: "Who wrote the first program?", output: Output.object({ schema: person }) });
    expect(obj.output).toEqual({ name: "Ada", age: 37 });

    const calledAgain = await generateText({ model: player(), prompt: "What is the weather in Oslo?", tools: { weather } });
    expect(calledAgain.toolCalls).toEqual(called.toolCalls);
    expect(calledAgain.finishReason).toBe("tool-calls");
    const streamedCall = streamText({ model: player(), prompt: "What is the weather in Oslo?", tools: { weather } });
    expect((await streamedCall.toolCalls).map((c) => c.toolCallId)).toEqual(["call_1"]);
    const objAgain = await generateText({ model: player(), prompt: "Who wrote the first program?", output: Output.object({ schema: person }) });
    expect(objAgain.output).toEqual(obj.output);
    expect(fake.requests).toHaveLength(2);
    expect(Object.keys((await readCassette(path.join(dir, "roundtrip.json")))?.entries ?? {})).toHaveLength(2);
  });

  it("records with SHIPYARD_RECORD=1 into a cassette named after the spec, which replay:<name> then plays", async () => {
    const env = { FAKE_BASE_URL: fake.baseURL, SHIPYARD_RECORD: "1", SHIPYARD_CASSETTES: dir };
    const live = await generateText({ model: resolveModel(SPEC, { env }), prompt: "ping" });
    const name = "openai-compatible-fake-gpt-4.1-mini";
    expect((await fs.readdir(dir)).sort()).toEqual([`${name}.json`]);
    const replayed = await generateText({ model: resolveModel(`replay:${name}`, { env: { SHIPYARD_CASSETTES: dir } }), prompt: "ping" });
    expect(replayed.text).toBe(live.text);
    // Without SHIPYARD_RECORD nothing is written.
    await generateText({ model: resolveModel(SPEC, { env: { FAKE_BASE_URL: fake.baseURL }, cassettesDir: dir, cassette: "other" }), prompt: "ping" });
    expect(await fs.readdir(dir)).toHaveLength(1);
  });

  it("keeps every entry when recording calls run at the same time", async () => {
    const prompts = Array.from({ length: 6 }, (_, i) => `question ${i}`);
    const live = await Promise.all(prompts.map((prompt) => generateText({ model: recorder(), prompt })));
    const replayed = await Promise.all(prompts.map((prompt) => generateText({ model: player(), prompt })));
    expect(replayed.map((r) => r.text)).toEqual(live.map((r) => r.text));
  });
});
