// One attempt of an `http` step, run by the server: a call to Shipyard's own API (in process, with a
// short-lived token of the run's workspace) or to an outside URL under the operator's URL rules, and outputs
// picked out of the JSON answer with JSONPath.
import { DBOS } from "@dbos-inc/dbos-sdk";
import { query } from "jsonpath-rfc9535";
import { ShipyardError } from "../domain/errors.ts";
import type { LocalWorkflows } from "../engine/control.ts";
import { MAX_RECOVERY_ATTEMPTS } from "../engine/queues.ts";
import type { EngineResources } from "../engine/resources.ts";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import type { RunMessage, TaskResult } from "../tasks/messages.ts";
import type { HttpTaskSpec } from "../tasks/spec.ts";
import { isServerTaskOf, loadServerTask, type ServerTaskOf } from "../tasks/store.ts";

/** The DBOS name of an http step's attempt (its workflow id is the task's). */
export const HTTP_TASK_WORKFLOW = "shipyard.http-task";

/** Largest response an http step reads; a longer one fails the step. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
/** How much of the response the `body` output keeps. */
export const MAX_BODY_OUTPUT_CHARS = 64 * 1024;
/** A call that names no `timeout`. */
const DEFAULT_TIMEOUT_MS = 30_000;

/** Calls in flight in this process, by task id, so a cancel can abort them. */
const inFlight = new Map<string, AbortController>();

/** Abort the call of an http step's task if this process is making it; true when it was. */
export function abortHttpTask(taskId: string): boolean {
  const call = inFlight.get(taskId);
  call?.abort();
  return call !== undefined;
}

/** The response's text, refusing to read past `limit` bytes. */
async function readLimited(res: Response, limit: number): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > limit) throw new ShipyardError("payload_too_large", `the response is ${declared} bytes; an http step reads at most ${limit}`, 502);
  if (!res.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new ShipyardError("payload_too_large", `the response is larger than ${limit} bytes, the most an http step reads`, 502);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** What a failed response says: an RFC 9457 problem's detail (or title), else the start of its text. */
function problemText(text: string): string {
  try {
    const problem = JSON.parse(text) as { detail?: unknown; title?: unknown; code?: unknown };
    const said = typeof problem.detail === "string" ? problem.detail : typeof problem.title === "string" ? problem.title : null;
    if (said !== null) return typeof problem.code === "string" ? `${said} (${problem.code})` : said;
  } catch {
    // not JSON: show its start
  }
  return text.trim().slice(0, 300) || "no body";
}

/** The step's outputs: `status`, `body` and each JSONPath's first match (a string as it is, else JSON). */
export function extractOutputs(status: number, text: string, paths: Record<string, string>): Record<string, string> {
  const outputs: Record<string, string> = { status: String(status), body: text.slice(0, MAX_BODY_OUTPUT_CHARS) };
  if (Object.keys(paths).length === 0) return outputs;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ShipyardError("invalid_request", `the response is not JSON, so its outputs (${Object.keys(paths).join(", ")}) cannot be read: ${text.trim().slice(0, 100)}`, 502);
  }
  for (const [name, path] of Object.entries(paths)) {
    const [first] = query(doc as Parameters<typeof query>[0], path);
    if (first === undefined) throw new ShipyardError("invalid_request", `output ${name}: ${path} matched nothing in the response`, 502);
    outputs[name] = typeof first === "string" ? first : JSON.stringify(first);
  }
  return outputs;
}

/** What one call needs: the outbound client and this process's own API. */
export type HttpCallDeps = Pick<EngineResources, "outbound" | "ownApi">;

/** Make the call of one attempt. */
async function send(res: HttpCallDeps, task: ServerTaskOf<"http">, taskId: string, signal: AbortSignal): Promise<Response> {
  const spec: HttpTaskSpec = task.spec;
  const headers = new Headers({ accept: "application/json", ...spec.headers });
  if (spec.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  const init = { method: spec.method, headers, body: spec.body, signal };
  if (spec.url.startsWith("/")) {
    if (!res.ownApi) throw new ShipyardError("invalid_request", "this process serves no Shipyard API to call", 503);
    return res.ownApi.fetch(spec.url, init, { workspaceId: task.workspace_id, role: spec.apiRole, taskId });
  }
  const preview = await res.ownApi?.fetchPreview(spec.url, init);
  if (preview) return preview;
  await res.outbound.check(spec.url, "an http step's url");
  // Re-running an attempt after a crash repeats the call: the key lets a server that honours it answer once.
  if (!headers.has("idempotency-key")) headers.set("idempotency-key", `${taskId}:${task.dispatch}`);
  return res.outbound.fetch(spec.url, { ...init, redirect: "follow" });
}

/** One attempt of an http task; never throws: whatever goes wrong becomes a failed result with its message. */
export async function callHttpTask(res: HttpCallDeps, taskId: string, task: ServerTaskOf<"http">): Promise<TaskResult> {
  const started = performance.now();
  const base = { taskId, dispatch: task.dispatch, exitCode: null };
  const timeoutMs = task.spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const cancel = new AbortController();
  inFlight.set(taskId, cancel);
  const took = () => Math.round(performance.now() - started);
  try {
    const response = await send(res, task, taskId, AbortSignal.any([timeout, cancel.signal]));
    const text = await readLimited(response, MAX_RESPONSE_BYTES);
    if (response.status < 200 || response.status > 299) {
      const error = `${task.spec.method} ${task.spec.url} answered ${response.status}: ${problemText(text)}`;
      return { ...base, status: "failed", outputs: { status: String(response.status) }, error, durationMs: took() };
    }
    return { ...base, status: "succeeded", outputs: extractOutputs(response.status, text, task.spec.outputs), durationMs: took() };
  } catch (err) {
    if (cancel.signal.aborted) return { ...base, status: "cancelled", outputs: {}, error: "cancelled", durationMs: took() };
    if (timeout.aborted) return { ...base, status: "timed_out", outputs: {}, error: `timed out after ${timeoutMs} ms`, durationMs: took() };
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    const message = err instanceof Error ? err.message : String(err);
    return { ...base, status: "failed", outputs: {}, error: `${task.spec.method} ${task.spec.url}: ${message}${cause && !message.includes(cause) ? ` (${cause})` : ""}`, durationMs: took() };
  } finally {
    inFlight.delete(taskId);
  }
}

/**
 * Register one attempt of an `http` step (workflow id = task id, so starting it twice is harmless): read the
 * task, wait out a retry's backoff, make the call in one checkpointed step, and send the run workflow the
 * same `result` message a runner's report becomes.
 */
export function registerHttpTaskWorkflow(res: EngineResources, workflows: LocalWorkflows): void {
  async function httpTaskImpl(runId: string, taskId: string): Promise<void> {
    const task = await DBOS.runStep(() => loadServerTask(res.pool, taskId), { name: "http:load", ...TRANSIENT_RETRIES });
    // Cancelled (or already settled) before it ran: nobody waits for a result.
    if (!task || task.status !== "assigned" || !isServerTaskOf(task, "http")) return;
    if (task.spec.delayMs) await DBOS.sleep(task.spec.delayMs);
    const result = await DBOS.runStep(() => callHttpTask(res, taskId, task), { name: "http:call" });
    const msg: RunMessage = { type: "result", ...result };
    await res.workflows.send(runId, msg, `result:${taskId}:${task.dispatch}`);
  }
  workflows.register(HTTP_TASK_WORKFLOW, httpTaskImpl, { maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });
}
