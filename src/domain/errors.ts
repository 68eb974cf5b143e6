/**
 * Every error code Shipyard gives (the `code` of its problem+json answers and of the errors its work ends
 * with), and whether trying again can help: a `terminal` error (bad input, not found, over budget, finished)
 * fails the same way every time and is never retried; a `retryable` one (the database or the engine away for a
 * moment) may pass on the next attempt.
 */
export const ERROR_CODES = {
  // The request itself
  invalid_request: "terminal",
  bad_request: "terminal",
  unsupported_media_type: "terminal",
  payload_too_large: "terminal",
  invalid_workflow: "terminal",
  invalid_inputs: "terminal",
  invalid_secret: "terminal",
  invalid_text: "terminal",
  url_not_allowed: "terminal",
  repo_not_allowed: "terminal",
  // Who asks
  unauthorized: "terminal",
  forbidden: "terminal",
  admin_token: "terminal",
  // What it names
  not_found: "terminal",
  unknown_project: "terminal",
  workspace_exists: "terminal",
  project_exists: "terminal",
  run_finished: "terminal",
  job_finished: "terminal",
  job_not_queued: "terminal",
  task_not_running: "terminal",
  // Previews and deployments
  nothing_to_publish: "terminal",
  invalid_artifact: "terminal",
  deploy_failed: "terminal",
  build_finished: "terminal",
  publish_finished: "terminal",
  deployment_finished: "terminal",
  invalid_config: "terminal",
  no_template: "terminal",
  // Blueprints and the Architect
  blueprint_exists: "terminal",
  blueprint_busy: "terminal",
  blueprint_changed: "terminal",
  blueprint_not_ready: "terminal",
  invalid_reference: "terminal",
  architect_invalid_reply: "terminal",
  delivery_pending: "terminal",
  // Models
  no_model: "terminal",
  no_model_access: "terminal",
  missing_api_key: "terminal",
  llm_unknown_provider: "terminal",
  llm_missing_api_key: "terminal",
  llm_cassette_miss: "terminal",
  llm_call_failed: "terminal",
  budget_exceeded: "terminal",
  cancelled: "terminal",
  // Shipyard itself
  internal: "terminal",
  unavailable: "retryable",
  database_unavailable: "retryable",
} as const satisfies Record<string, "terminal" | "retryable">;

/** A code of ERROR_CODES. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** True when `code` is one of Shipyard's error codes (e.g. one another server answered with). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/** The one error type that crosses boundaries: a stable machine `code`, an HTTP status, a human message and its cause. */
export class ShipyardError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status = 400,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ShipyardError";
  }

  /** Whether trying again can help (see ERROR_CODES). */
  get retryable(): boolean {
    return ERROR_CODES[this.code] === "retryable";
  }
}

/** 404 for anything missing or belonging to another workspace (so existence never leaks). */
export function notFound(what: string, id: string): ShipyardError {
  return new ShipyardError("not_found", `${what} ${id} was not found`, 404);
}

/** Normalise anything thrown into an Error. */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === "string" ? value : JSON.stringify(value));
}

// SQLSTATEs of a database that is not there (shutting down, starting, refusing connections) or a connection lost.
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006", "53300", "55000"]);
const UNAVAILABLE_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "ENOENT", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH"]);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|is not currently accepting connections|the database system is (starting up|shutting down)/i;

/** True when `err` says the database cannot be reached right now (as opposed to a query it refused). */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code))) return code !== "55000" || UNAVAILABLE_MESSAGES.test(err.message);
  return UNAVAILABLE_MESSAGES.test(err.message);
}

// SQLSTATE class 40: the transaction was rolled back (a serialization failure, a deadlock); running it again may pass.
const ROLLED_BACK = /^40/;

/** True for an error that fails the same way every time it is tried: a terminal ShipyardError. */
export function isTerminal(err: unknown): boolean {
  return err instanceof ShipyardError && !err.retryable;
}

/**
 * True for an error that trying again may cure: a retryable ShipyardError, a database that cannot be reached
 * for a moment (a lost connection, a restart), or a transaction PostgreSQL rolled back (serialization, deadlock).
 * Everything else (bad input, a missing row, a bug) would fail the same way again.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ShipyardError) return err.retryable;
  if (isDatabaseUnavailable(err)) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && ROLLED_BACK.test(code);
}
