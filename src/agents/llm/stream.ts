// Streams and recorded answers: a recorded answer is played back as a v3 stream (so streamText works on
// replay), and a live stream is collected back into content parts (so a streamed call can be recorded).
import type { ContentPart, FinishReason, ModelUsage, StreamPart } from "./spec.ts";

/** The v3 stream parts that deliver `content` and then finish with `finishReason` and `usage`. */
export function partsOf(content: ContentPart[], finishReason: FinishReason, usage: ModelUsage, modelId: string): StreamPart[] {
  const parts: StreamPart[] = [{ type: "stream-start", warnings: [] }, { type: "response-metadata", modelId }];
  content.forEach((part, i) => {
    const id = String(i);
    if (part.type === "text") {
      parts.push({ type: "text-start", id }, { type: "text-delta", id, delta: part.text }, { type: "text-end", id });
    } else if (part.type === "reasoning") {
      parts.push(
        { type: "reasoning-start", id, providerMetadata: part.providerMetadata },
        { type: "reasoning-delta", id, delta: part.text },
        { type: "reasoning-end", id },
      );
    } else if (part.type === "tool-call") {
      const callId = part.toolCallId;
      parts.push(
        { type: "tool-input-start", id: callId, toolName: part.toolName },
        { type: "tool-input-delta", id: callId, delta: part.input },
        { type: "tool-input-end", id: callId },
        part,
      );
    } else {
      parts.push(part);
    }
  });
  parts.push({ type: "finish", finishReason, usage });
  return parts;
}

/** A readable stream of `parts`. */
export function streamOf(parts: StreamPart[]): ReadableStream<StreamPart> {
  return new ReadableStream<StreamPart>({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}

/** What a finished stream delivered. */
export interface Collected {
  content: ContentPart[];
  finishReason: FinishReason;
  usage: ModelUsage;
}

/**
 * A pass-through transform that rebuilds the content of the parts flowing through it and calls `onFinish`
 * once the stream ends after a `finish` part (not after an error part). The stream ends only when
 * `onFinish` has settled, so whatever it writes is there when the caller's stream is done.
 */
export function collectStream(onFinish: (collected: Collected) => Promise<void> | void): TransformStream<StreamPart, StreamPart> {
  const content: ContentPart[] = [];
  const open = new Map<string, { type: "text" | "reasoning"; text: string }>();
  let finish: { finishReason: FinishReason; usage: ModelUsage } | undefined;
  let failed = false;
  return new TransformStream<StreamPart, StreamPart>({
    transform(part, controller) {
      controller.enqueue(part);
      switch (part.type) {
        case "text-start":
        case "reasoning-start": {
          // The slot is taken at start so parts keep the order in which the model began them.
          const slot = { type: part.type === "text-start" ? ("text" as const) : ("reasoning" as const), text: "" };
          open.set(`${slot.type}:${part.id}`, slot);
          content.push(slot as ContentPart);
          break;
        }
        case "text-delta":
        case "reasoning-delta": {
          const slot = open.get(`${part.type === "text-delta" ? "text" : "reasoning"}:${part.id}`);
          if (slot) slot.text += part.delta;
          break;
        }
        case "tool-call":
        case "tool-result":
        case "source":
        case "file":
        case "tool-approval-request":
          content.push(part);
          break;
        case "finish":
          finish = { finishReason: part.finishReason, usage: part.usage };
          break;
        case "error":
          failed = true;
          break;
        default:
          break;
      }
    },
    async flush() {
      if (finish && !failed) await onFinish({ content, ...finish });
    },
  });
}
