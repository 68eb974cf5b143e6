// The Architect's call, directly, on a model that records what it is sent: the system prompt, only the recent
// history, the plan and the images as image parts.
import { describe, expect, it } from "vitest";
import type { ModelV3 } from "../agents/llm/index.ts";
import { ARCHITECT_SYSTEM, architectTurn, HISTORY_MESSAGES } from "./architect.ts";
import { SOCIAL_WORLD } from "./demo.ts";
import { emptyPlan } from "./schemas.ts";

type Params = Parameters<ModelV3["doGenerate"]>[0];

/** A model answering `text`, keeping each call's options. */
function recordingModel(text: string): { model: ModelV3; calls: Params[] } {
  const calls: Params[] = [];
  const model: ModelV3 = {
    specificationVersion: "v3",
    provider: "test",
    modelId: "test",
    supportedUrls: {},
    async doGenerate(params) {
      calls.push(params);
      return {
        content: [{ type: "text", text }],
        finishReason: { unified: "stop", raw: undefined },
        usage: { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: undefined }, outputTokens: { total: 1, text: undefined, reasoning: undefined } },
        warnings: [],
      };
    },
    doStream: () => Promise.reject(new Error("not streamed")),
  };
  return { model, calls };
}

describe("architectTurn", () => {
  it("sends the system rules, the last turns only, the plan and the message with its images", async () => {
    const { model, calls } = recordingModel(JSON.stringify({ reply: "Noted.", plan: SOCIAL_WORLD.turns[0]!.plan }));
    const history = Array.from({ length: 30 }, (_, i) => ({ role: i % 2 === 0 ? ("user" as const) : ("architect" as const), content: `message ${i}` }));
    const image = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const reply = await architectTurn(model, { featureName: "Social World", template: "world", plan: emptyPlan(), history, message: "Like this", images: [{ bytes: image, mediaType: "image/png", label: "an uploaded image (image/png)" }] });
    expect(reply.reply).toBe("Noted.");
    const prompt = calls[0]!.prompt;
    expect(prompt[0]).toEqual({ role: "system", content: ARCHITECT_SYSTEM });
    expect(prompt).toHaveLength(1 + HISTORY_MESSAGES + 1);
    expect(JSON.stringify(prompt[1])).toContain("message 18");
    const last = prompt.at(-1)!;
    expect(last.role).toBe("user");
    const parts = last.content as { type: string; text?: string; data?: unknown; mediaType?: string }[];
    expect(parts[0]!.text).toContain('The project was created from Shipyard\'s "world" template.');
    expect(parts[0]!.text).toContain(JSON.stringify(emptyPlan()));
    expect(parts[0]!.text).toContain("1. an uploaded image (image/png)\n");
    expect(parts[0]!.text!.endsWith("The user says:\nLike this")).toBe(true);
    expect(parts[1]).toMatchObject({ type: "file", mediaType: "image/png" });
  });
});
