/** The one error type that crosses boundaries: a stable machine `code`, an HTTP status and a human message. */
export class ShipyardError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ShipyardError";
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
