// The steps of API trees: `http:` calls Shipyard's own API or an outside URL and picks outputs out of the JSON
// answer with JSONPath (RFC 9535, the jsonpath-rfc9535 package); `wait:` waits for an operation to end.
import parseJsonPath from "jsonpath-rfc9535/parser";
import { z } from "zod";
import { DURATION_HINT, parseDuration } from "./duration.ts";
import { fail } from "./refine.ts";

/** Methods an http step may use. */
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Outputs every http step has besides its JSONPath ones: the response status and (the start of) its body. */
export const HTTP_STEP_OUTPUTS = ["status", "body"] as const;
/** Outputs of a wait step: the operation's final status, its error, and a build's preview URL. */
export const WAIT_STEP_OUTPUTS = ["status", "error", "preview_url"] as const;

/** What an `http` step calls. `url` is a path of Shipyard's API (`/projects`) or an absolute http(s) URL. */
export interface HttpCall {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  /** Sent as JSON; its strings may hold `${{ }}`. */
  body?: unknown;
  /** Output name → JSONPath into the JSON response. */
  outputs: Record<string, string>;
}

/** What a `wait` step waits for. */
export interface WaitCall {
  /** The operation's id, usually `${{ steps.<id>.outputs.<name> }}`. */
  operation: string;
  timeoutMs: number;
}

/** How long a wait step waits when it names no timeout. */
export const DEFAULT_WAIT_TIMEOUT_MS = 60 * 60 * 1000;

/** Why `path` is not a JSONPath query (RFC 9535), or null when it is. */
export function jsonPathProblem(path: string): string | null {
  try {
    parseJsonPath(path);
    return null;
  } catch (err) {
    const found = err as { message?: string; location?: { start?: { offset?: number } } };
    const at = found.location?.start?.offset;
    return `bad JSONPath ${JSON.stringify(path)}${at !== undefined ? ` at character ${at + 1}` : ""}: ${found.message ?? "cannot be parsed"}; write a query such as $.id or $.items[0].name`;
  }
}

const identifierLike = /^[A-Za-z_][A-Za-z0-9_-]*$/;
// Header names a step may not set: the API call's own token, and what the HTTP client decides itself.
const RESERVED_HEADERS = new Set(["authorization", "host", "content-length", "connection", "transfer-encoding"]);

/** Fields of `http:`. */
export const httpShape = {
  method: z
    .enum([...HTTP_METHODS, ...HTTP_METHODS.map((m) => m.toLowerCase())], {
      error: (iss) => `method must be one of ${HTTP_METHODS.join(", ")}, got ${JSON.stringify(iss.input)}`,
    })
    .transform((m) => m.toUpperCase() as HttpMethod)
    .optional(),
  url: z
    .string({ error: "must be a path of Shipyard's API such as /projects, or an absolute http(s) URL" })
    .min(1, { error: "must not be empty" })
    .max(8000, { error: "must be at most 8000 characters long" })
    .superRefine((url, ctx) => {
      if (!url.startsWith("/") && !/^https?:\/\//i.test(url) && !url.startsWith("${{")) {
        fail(ctx, "bad_value", `url ${JSON.stringify(url.slice(0, 100))} must start with / (a path of Shipyard's API, e.g. /projects) or http:// or https://`);
      }
    }),
  headers: z
    .record(
      z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: (iss) => `header name ${JSON.stringify(iss.input)} is not a valid HTTP header name` }),
      z.union([z.string(), z.number(), z.boolean()], { error: "must be a string" }),
      { error: "must be a mapping of header name to value" },
    )
    .superRefine((headers, ctx) => {
      for (const name of Object.keys(headers)) {
        if (RESERVED_HEADERS.has(name.toLowerCase())) {
          fail(ctx, "bad_value", `header ${name} is set by Shipyard (calls to its API carry the run's own short-lived token); remove it`, [name]);
        }
      }
    })
    .optional(),
  body: z.unknown().optional(),
  outputs: z
    .record(
      z.string().regex(identifierLike, { error: (iss) => `output name ${JSON.stringify(iss.input)} must start with a letter or _ and contain only letters, digits, _ and -` }),
      z.string({ error: "must be a JSONPath query such as $.id" }),
      { error: "must be a mapping of output name to JSONPath, e.g. { project_id: $.id }" },
    )
    .superRefine((outputs, ctx) => {
      for (const [name, path] of Object.entries(outputs)) {
        if ((HTTP_STEP_OUTPUTS as readonly string[]).includes(name)) {
          fail(ctx, "bad_value", `output "${name}" is always set by an http step (the response's ${name}); choose another name`, [name]);
          continue;
        }
        const problem = jsonPathProblem(path);
        if (problem) fail(ctx, "bad_jsonpath", problem, [name]);
      }
    })
    .optional(),
};

/** Fields of `wait:`. */
export const waitShape = {
  operation: z.string({ error: "must be an operation id, e.g. ${{ steps.build.outputs.operation_id }}" }).min(1, { error: "must not be empty" }),
  timeout: z
    .union([z.number(), z.string()], { error: `must be a duration; ${DURATION_HINT}` })
    .superRefine((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === null) fail(ctx, "bad_duration", `bad duration ${JSON.stringify(value)}; ${DURATION_HINT}`);
      else if (ms === 0) fail(ctx, "bad_duration", `timeout must be longer than zero; ${DURATION_HINT}`);
    })
    .optional(),
};

/** Step fields an http or wait step would silently ignore: the server makes the call, no process runs. */
export function checkApiStepFields(kind: "http" | "wait", step: Readonly<Record<string, unknown>>, ctx: z.RefinementCtx): void {
  const what = `a ${kind} step runs on the server, not in a process`;
  const unused: Record<string, string> = {
    env: `${what}, so it has no environment; put the values into its ${kind === "http" ? "url, headers or body" : "operation"}`,
    outputs:
      kind === "http"
        ? "an http step's outputs are `status`, `body` and those named under `http.outputs` (name: JSONPath); drop the step's `outputs`"
        : "a wait step's outputs are `status`, `error` and `preview_url`; drop `outputs`",
    workingDirectory: `${what}, so it has no working directory`,
    "working-directory": `${what}, so it has no working directory`,
    network: `network applies to steps a runner executes (run, agent); ${what}`,
  };
  if (kind === "wait") unused.timeout = "give a wait step's timeout as `wait.timeout`";
  for (const [key, message] of Object.entries(unused)) {
    if (step[key] !== undefined) fail(ctx, key === "network" ? "not_applicable" : "unused_field", message, [key]);
  }
}

type HttpDocument = { method?: HttpMethod; url: string; headers?: Record<string, string | number | boolean>; body?: unknown; outputs?: Record<string, string> };
type WaitDocument = { operation: string; timeout?: number | string };

/** The normalized `http:` of a validated step. */
export function normalizeHttp(doc: HttpDocument): HttpCall {
  const call: HttpCall = {
    method: doc.method ?? (doc.body === undefined ? "GET" : "POST"),
    url: doc.url,
    headers: Object.fromEntries(Object.entries(doc.headers ?? {}).map(([k, v]) => [k, String(v)])),
    outputs: { ...doc.outputs },
  };
  if (doc.body !== undefined) call.body = doc.body;
  return call;
}

/** The normalized `wait:` of a validated step. */
export function normalizeWait(doc: WaitDocument): WaitCall {
  return { operation: doc.operation, timeoutMs: doc.timeout === undefined ? DEFAULT_WAIT_TIMEOUT_MS : (parseDuration(doc.timeout) ?? DEFAULT_WAIT_TIMEOUT_MS) };
}

/** Every string inside a body, with its path below `body`, for checking and interpolating its expressions. */
export function bodyStrings(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; text: string }[] {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => bodyStrings(v, [...path, i]));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => bodyStrings(v, [...path, k]));
  return [];
}

/** A copy of `value` with every string replaced by what `expand` makes of it (keys are left as written). */
export function mapBodyStrings(value: unknown, expand: (text: string) => unknown): unknown {
  if (typeof value === "string") return expand(value);
  if (Array.isArray(value)) return value.map((v) => mapBodyStrings(v, expand));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapBodyStrings(v, expand)]));
  return value;
}
