// POST /api/v1/model-calls and /api/v1/agent-usage: the endpoints of agents running on runners (see
// ../model-proxy.ts). They take a task token, not an API token, so it sits in front of the API's auth, with a body limit of its own: an agent's
// conversation (files it read, command output) outgrows the API's 1 MB.
import type { Hono } from "hono";
import type { AppEnv } from "../auth.ts";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { CallOptions } from "../../agents/llm/spec.ts";
import { ShipyardError } from "../../domain/errors.ts";
import { textProblem } from "../../domain/text.ts";
import { bearerToken } from "../auth.ts";
import { proxyModelCall, recordAgentUsage, type ModelProxyDeps } from "../model-proxy.ts";
import type { TaskTokens } from "../task-tokens.ts";

export const MODEL_CALLS_PATH = "/api/v1/model-calls";
export const AGENT_USAGE_PATH = "/api/v1/agent-usage";
const MAX_CALL_BYTES = 32 * 1024 * 1024;

/** The AI SDK's call options as JSON; the provider checks the parts it uses, this checks the shape it relies on. */
const ModelCallBody = z.object({
  params: z.looseObject({
    prompt: z.array(z.looseObject({ role: z.enum(["system", "user", "assistant", "tool"]) })).min(1),
    tools: z.array(z.looseObject({ type: z.string(), name: z.string() })).optional(),
    maxOutputTokens: z.number().int().positive().optional(),
  }),
});

const Tokens = z.number().int().nonnegative().max(1e12);
const AgentUsageBody = z.strictObject({
  // Stored in the usage ledger, which cannot hold a NUL or an unpaired surrogate.
  model: z.string().min(1).max(200).refine((m) => textProblem(m) === null, "must be well-formed text without NUL characters"),
  inputTokens: Tokens,
  outputTokens: Tokens,
  cachedTokens: Tokens.default(0),
  costUsd: z.number().nonnegative().max(1e6),
});

/** The task a request's token was minted for; 401 without a genuine one. */
function claimsOf(tokens: TaskTokens, header: string | undefined) {
  const token = bearerToken(header);
  const claims = token ? tokens.verify(token) : null;
  if (!claims) throw new ShipyardError("unauthorized", "a task token (SHIPYARD_TASK_TOKEN) is required", 401);
  return claims;
}

/** The body as JSON checked against `schema`; a 400 naming the first problem otherwise. */
async function bodyOf<T>(req: { json(): Promise<unknown> }, schema: z.ZodType<T>): Promise<T> {
  const raw: unknown = await req.json().catch(() => {
    throw new ShipyardError("invalid_request", "the body is not JSON", 400);
  });
  const body = schema.safeParse(raw);
  if (!body.success) {
    const issue = body.error.issues[0];
    throw new ShipyardError("invalid_request", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`, 400);
  }
  return body.data;
}

/** Mount the model endpoint on `app` (before the authenticated API, which would refuse a task token). */
export function modelCallRoutes(deps: ModelProxyDeps & { taskTokens: TaskTokens }, app: Hono<AppEnv>): void {
  app.post(
    MODEL_CALLS_PATH,
    bodyLimit({
      maxSize: MAX_CALL_BYTES,
      onError: (c) => {
        c.header("connection", "close");
        throw new ShipyardError("payload_too_large", `model call is larger than ${MAX_CALL_BYTES} bytes`, 413);
      },
    }),
    async (c) => {
      const claims = claimsOf(deps.taskTokens, c.req.header("authorization"));
      const body = await bodyOf(c.req, ModelCallBody);
      return c.json(await proxyModelCall(deps, claims, body.params as unknown as CallOptions, c.req.raw.signal));
    },
  );
  // An agent that calls its provider itself (Claude Code) reports its run's usage here once at the end.
  app.post(AGENT_USAGE_PATH, bodyLimit({ maxSize: 64 * 1024 }), async (c) => {
    const claims = claimsOf(deps.taskTokens, c.req.header("authorization"));
    const recorded = await recordAgentUsage(deps, claims, await bodyOf(c.req, AgentUsageBody));
    return c.json({ recorded });
  });
}
