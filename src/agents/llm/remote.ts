// The agent's side of the server's model endpoint (src/server/model-proxy.ts): a model whose calls go to the
// Shipyard server with the task's token. The server picks the model, holds the keys, checks budgets and records
// usage; this side only sends the call options and rebuilds the answer, so a runner needs no keys or cassettes.
import { resultOf, type CassetteResponse } from "./cassette.ts";
import { BudgetExceededError, type BudgetKind } from "./errors.ts";
import { isErrorCode, ShipyardError } from "../../domain/errors.ts";
import type { CallOptions, ModelV3 } from "./spec.ts";
import { partsOf, streamOf } from "./stream.ts";
import { postToServer, type ServerAddress } from "../server-call.ts";

/** Where the endpoint is and who is calling. */
export interface RemoteModelOptions {
  /** The server (the runner's `--server`, or the socket the sandbox forwards through). */
  server: ServerAddress;
  /** The task token ($SHIPYARD_TASK_TOKEN). */
  token: string;
  /** The spec the task was given, for error messages and the model id until the server names it. */
  label: string;
}

/** The problem+json the server answers errors with. */
interface Problem {
  code?: string;
  detail?: string;
  errors?: { budget?: BudgetKind; spentUsd?: number; limitUsd?: number; estimatedCostUsd?: number };
}

/** A model served by the Shipyard server for one task. */
export function remoteModel(opts: RemoteModelOptions): ModelV3 {
  const where = opts.server.socket ?? opts.server.url;
  const generate = async (params: CallOptions) => {
    const { abortSignal, headers: _headers, ...rest } = params;
    let res: { status: number; text: string };
    try {
      res = await postToServer(opts.server, "/api/v1/model-calls", opts.token, { params: rest }, abortSignal);
    } catch (err) {
      if (abortSignal?.aborted) throw err;
      throw new ShipyardError("llm_call_failed", `cannot reach the Shipyard server at ${where}: ${(err as Error).message}`, 502);
    }
    let body: Problem & { modelId?: string; response?: CassetteResponse } = {};
    try {
      body = JSON.parse(res.text) as typeof body;
    } catch {
      // not JSON: the status says what happened
    }
    if (res.status >= 300 || !body.response) throw toError(res.status, body, opts.label);
    return resultOf(body.response, body.modelId ?? opts.label);
  };
  return {
    specificationVersion: "v3",
    provider: "shipyard",
    modelId: opts.label,
    supportedUrls: {},
    doGenerate: generate,
    async doStream(params) {
      const r = await generate(params);
      return { stream: streamOf(partsOf(r.content, r.finishReason, r.usage, r.response?.modelId ?? opts.label)) };
    },
  };
}

/** The server's refusal as the error the model layer would have thrown locally (budgets keep their type). */
function toError(status: number, p: Problem, label: string): Error {
  const e = p.errors ?? {};
  if (p.code === "budget_exceeded" && e.budget) {
    return new BudgetExceededError(e.budget, e.spentUsd ?? 0, e.limitUsd ?? 0, e.estimatedCostUsd ?? 0);
  }
  return new ShipyardError(isErrorCode(p.code) ? p.code : "llm_call_failed", p.detail ?? `model ${label}: the server answered ${status}`, status);
}
