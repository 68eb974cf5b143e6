import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "../logger.ts";
import { ShipyardError } from "../domain/errors.ts";
import { isDatabaseUnavailable } from "../db/pool.ts";

/** RFC 9457 problem details with Shipyard's stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: unknown;
}

/** Render a ShipyardError as problem+json. */
export function problemResponse(c: Context, err: ShipyardError): Response {
  const body: Problem = {
    type: `https://shipyard.dev/problems/${err.code}`,
    title: err.code.replaceAll("_", " "),
    status: err.status,
    detail: err.message,
    code: err.code,
    ...(err.details !== undefined ? { errors: err.details } : {}),
  };
  return c.body(JSON.stringify(body), err.status as 400, { "content-type": "application/problem+json" });
}

/** The app's error handler: known errors keep their status; anything else is a 500 without internals. */
export function errorHandler(log: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof ShipyardError) return problemResponse(c, err);
    if (err instanceof HTTPException) {
      // 400 is what Hono's validators throw for a body that is not JSON: the same problem as a body of the wrong shape.
      const code =
        err.status === 400 ? "invalid_request" : err.status === 413 ? "payload_too_large" : err.status === 415 ? "unsupported_media_type" : "bad_request";
      return problemResponse(c, new ShipyardError(code, err.message || code.replaceAll("_", " "), err.status));
    }
    if (isDatabaseUnavailable(err)) {
      // Retrying helps: the database (embedded and supervised, or external) is expected back shortly.
      c.header("retry-after", "5");
      return problemResponse(c, new ShipyardError("database_unavailable", "the database is unavailable right now; retry shortly", 503));
    }
    log.error({ err: err.message, stack: err.stack, path: c.req.path }, "unhandled error");
    return problemResponse(c, new ShipyardError("internal", "internal error; see the server log", 500));
  };
}
