import { generateText } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MissingApiKeyError, UnknownProviderError } from "./errors.ts";
import { startFakeOpenAI, type FakeOpenAI } from "./fake-openai.ts";
import { parseSpec, resolveModel } from "./resolve.ts";

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake?.close();
});

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a throw");
}

describe("model specs", () => {
  it("parses provider:model, keeping colons in model names, and openai-compatible:<name>:<model>", () => {
    expect(parseSpec("anthropic:claude-sonnet-4-5")).toEqual({ provider: "anthropic", model: "claude-sonnet-4-5" });
    expect(parseSpec("ollama:llama3.1:8b")).toEqual({ provider: "ollama", model: "llama3.1:8b" });
    expect(parseSpec("openai-compatible:together:meta/llama:70b")).toEqual({ provider: "openai-compatible", endpoint: "together", model: "meta/llama:70b" });
    expect(parseSpec("replay:demo")).toEqual({ provider: "replay", model: "demo" });
  });

  it("rejects an unknown provider, listing the known ones", () => {
    const err = thrown(() => resolveModel("gemini:pro", { env: {} }));
    expect(err).toBeInstanceOf(UnknownProviderError);
    expect(err.message).toContain('unknown provider "gemini"');
    expect(err.message).toContain("anthropic, openai, openai-compatible, ollama, replay");
    expect(thrown(() => resolveModel("openai", { env: {} })).message).toContain('no model after "openai:"');
    expect(thrown(() => resolveModel("openai-compatible:gpt-4.1", { env: {} })).message).toContain("openai-compatible:<endpoint name>:<model>");
  });

  it("names the environment variable to set when an endpoint has no base URL", () => {
    const err = thrown(() => resolveModel("openai-compatible:my-vllm:qwen", { env: {} }));
    expect(err.message).toContain("MY_VLLM_BASE_URL");
  });

  it("builds each provider's model with the key from the environment", () => {
    const anthropic = resolveModel("anthropic:claude-sonnet-4-5", { env: { ANTHROPIC_API_KEY: "k" } });
    expect([anthropic.provider, anthropic.modelId]).toEqual(["anthropic.messages", "claude-sonnet-4-5"]);
    const openai = resolveModel("openai:gpt-4.1", { env: { OPENAI_API_KEY: "k" } });
    expect([openai.provider, openai.modelId]).toEqual(["openai.responses", "gpt-4.1"]);
    const ollama = resolveModel("ollama:llama3.1", { env: {} });
    expect(ollama.modelId).toBe("llama3.1");
    expect(ollama.provider.startsWith("ollama")).toBe(true);
  });
});

describe("API keys", () => {
  it("fails at resolve time naming the variable when the environment has no key and there are no secrets", () => {
    const anthropic = thrown(() => resolveModel("anthropic:claude-sonnet-4-5", { env: {} }));
    expect(anthropic).toBeInstanceOf(MissingApiKeyError);
    expect(anthropic.message).toBe("no API key for anthropic: set the environment variable ANTHROPIC_API_KEY");
    const openai = thrown(() => resolveModel("openai:gpt-4.1", { env: { OPENAI_API_KEY: "" } })) as MissingApiKeyError;
    expect(openai.variable).toBe("OPENAI_API_KEY");
  });

  it("with a secret lookup, fails at the first call naming the variable and the secret, without a request", async () => {
    const asked: string[] = [];
    const model = resolveModel("openai:gpt-4.1", { env: {}, getSecret: async (name) => void asked.push(name) });
    const err = await generateText({ model, prompt: "hi" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingApiKeyError);
    expect((err as Error).message).toBe("no API key for openai: set the environment variable OPENAI_API_KEY or the workspace secret OPENAI_API_KEY");
    expect(asked).toContain("OPENAI_API_KEY");
  });

  it("prefers the workspace secret to the environment, and sends the key only to the provider", async () => {
    const before = fake.requests.length;
    const secrets: Record<string, string> = { FAKE_API_KEY: "from-secret" };
    const env = { FAKE_BASE_URL: fake.baseURL, FAKE_API_KEY: "from-env" };
    const model = resolveModel("openai-compatible:fake:m1", { env, getSecret: async (n) => secrets[n] });
    const result = await generateText({ model, prompt: "hi" });
    expect(fake.requests[before]?.authorization).toBe("Bearer from-secret");
    expect(JSON.stringify(result.request)).not.toContain("from-secret");
    expect(JSON.stringify(model)).not.toContain("from-secret");

    const envOnly = resolveModel("openai-compatible:fake:m1", { env, getSecret: () => undefined });
    await generateText({ model: envOnly, prompt: "hi" });
    expect(fake.requests[before + 1]?.authorization).toBe("Bearer from-env");
  });

  it("sends no key to an openai-compatible endpoint that has none (local servers need none)", async () => {
    const before = fake.requests.length;
    const model = resolveModel("openai-compatible:fake:m1", { env: { FAKE_BASE_URL: fake.baseURL } });
    expect((await generateText({ model, prompt: "ping" })).text).toBe("echo: ping");
    expect(fake.requests[before]?.authorization).toBeUndefined();
  });
});
