import { describe, expect, it } from "vitest";
import { ERROR_CODES, isErrorCode, isRetryable, isTerminal, ShipyardError } from "./errors.ts";

describe("error codes", () => {
  it("tell terminal errors (never retried) from retryable ones (a database or engine away for a moment)", () => {
    expect(isTerminal(new ShipyardError("not_found", "x", 404))).toBe(true);
    expect(isTerminal(new ShipyardError("budget_exceeded", "x", 402))).toBe(true);
    expect(isRetryable(new ShipyardError("invalid_inputs", "x", 422))).toBe(false);
    expect(isRetryable(new ShipyardError("database_unavailable", "x", 503))).toBe(true);
    expect(isTerminal(new ShipyardError("database_unavailable", "x", 503))).toBe(false);
  });

  it("count a lost connection, a database restarting and a rolled-back transaction as retryable, a bug or a refused query not", () => {
    const pgError = (code: string, message = "x") => Object.assign(new Error(message), { code });
    expect(isRetryable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isRetryable(pgError("57P01", "terminating connection due to administrator command"))).toBe(true);
    expect(isRetryable(pgError("ECONNREFUSED"))).toBe(true);
    expect(isRetryable(pgError("40001", "could not serialize access"))).toBe(true);
    expect(isRetryable(pgError("40P01", "deadlock detected"))).toBe(true);
    expect(isRetryable(pgError("23505", "duplicate key value"))).toBe(false);
    expect(isRetryable(new TypeError("x is not a function"))).toBe(false);
    expect(isRetryable("text")).toBe(false);
  });

  it("are a closed set: each one classified, a foreign code recognised as not one of them, a cause kept", () => {
    expect(Object.values(ERROR_CODES).every((k) => k === "terminal" || k === "retryable")).toBe(true);
    expect(isErrorCode("run_finished")).toBe(true);
    expect(isErrorCode("toString")).toBe(false);
    expect(isErrorCode("teapot")).toBe(false);
    const cause = new TypeError("bad");
    expect(new ShipyardError("invalid_secret", "x", 400, undefined, { cause }).cause).toBe(cause);
    // @ts-expect-error: a code outside the union does not compile
    expect(new ShipyardError("teapot", "x", 418).code).toBe("teapot");
  });
});
