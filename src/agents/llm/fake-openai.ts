// A fake OpenAI-compatible chat API on 127.0.0.1 for tests: it answers /v1/chat/completions (plain and
// streamed, in OpenAI's shapes) with scripted replies and remembers every request it received.
import http from "node:http";
import type { AddressInfo } from "node:net";

/** What the fake answers to one request. */
export interface FakeReply {
  text?: string;
  toolCalls?: { id: string; name: string; arguments: string }[];
  finishReason?: "stop" | "length" | "tool_calls";
  usage: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number };
}

/** One request the fake received. */
export interface FakeRequest {
  body: { model: string; stream?: boolean; messages: { role: string; content: unknown }[] } & Record<string, unknown>;
  authorization: string | undefined;
}

/** A running fake: its `/v1` base URL, the requests it got, and how to stop it. */
export interface FakeOpenAI {
  baseURL: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

/** The text of the last user message of a request (for echoing replies). */
export function lastUserText(body: FakeRequest["body"]): string {
  const last = [...body.messages].reverse().find((m) => m.role === "user");
  if (!last) return "";
  if (typeof last.content === "string") return last.content;
  return (last.content as { type: string; text?: string }[]).map((p) => p.text ?? "").join("");
}

/** Start a fake; `reply` decides each answer (default: echo the last user message, 10 in / 5 out tokens). */
export async function startFakeOpenAI(reply?: (body: FakeRequest["body"]) => FakeReply): Promise<FakeOpenAI> {
  const requests: FakeRequest[] = [];
  const echo = (body: FakeRequest["body"]): FakeReply => ({ text: `echo: ${lastUserText(body)}`, usage: { prompt_tokens: 10, completion_tokens: 5 } });
  const answer = reply ?? echo;
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (d: Buffer) => (raw += d.toString()));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "not found" } }));
        return;
      }
      const body = JSON.parse(raw) as FakeRequest["body"];
      requests.push({ body, authorization: req.headers.authorization });
      const r = answer(body);
      const usage = {
        prompt_tokens: r.usage.prompt_tokens,
        completion_tokens: r.usage.completion_tokens,
        total_tokens: r.usage.prompt_tokens + r.usage.completion_tokens,
        prompt_tokens_details: { cached_tokens: r.usage.cached_tokens ?? 0 },
      };
      const finish = r.finishReason ?? (r.toolCalls?.length ? "tool_calls" : "stop");
      const toolCalls = r.toolCalls?.map((t, index) => ({ index, id: t.id, type: "function", function: { name: t.name, arguments: t.arguments } }));
      const head = { id: `chatcmpl-${requests.length}`, created: 1_700_000_000, model: body.model };
      if (!body.stream) {
        const message = { role: "assistant", content: r.text ?? null, tool_calls: toolCalls };
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ ...head, object: "chat.completion", choices: [{ index: 0, message, finish_reason: finish }], usage }));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
        res.write(`data: ${JSON.stringify({ ...head, object: "chat.completion.chunk", choices, ...extra })}\n\n`);
      // The text goes out in pieces so clients really assemble a stream.
      for (const piece of (r.text ?? "").match(/.{1,4}/gs) ?? []) chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]);
      if (toolCalls) chunk([{ index: 0, delta: { tool_calls: toolCalls }, finish_reason: null }]);
      chunk([{ index: 0, delta: {}, finish_reason: finish }]);
      chunk([], { usage });
      res.end("data: [DONE]\n\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
