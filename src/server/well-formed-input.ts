// One check at the API boundary, before any route runs, for input no route can store as sent: a NUL or an unpaired
// surrogate anywhere in the path, the query or a JSON body (keys included), percent-encoding that is not UTF-8
// (`%ED%A0%80` is a surrogate, `%FF` no character at all), a `__proto__` key (which would vanish from the object a
// schema builds) and JSON nested deeper than any API body is. Without it such text reached PostgreSQL and came
// back as a 500, or was silently changed.
import type { MiddlewareHandler } from "hono";
import { ShipyardError } from "../domain/errors.ts";
import { textProblem } from "../domain/text.ts";

/** Deepest nesting of a JSON request body; API bodies are a few levels deep. */
export const MAX_JSON_DEPTH = 32;

const invalidText = (where: string, problem: string) => new ShipyardError("invalid_text", `${where} ${problem}`, 400);

/** Decode one percent-encoded URL component, refusing what is not UTF-8 or not storable. */
function checkComponent(raw: string, where: string): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw.replaceAll("+", " "));
  } catch {
    throw invalidText(where, "is not valid percent-encoded UTF-8");
  }
  const problem = textProblem(decoded);
  if (problem) throw invalidText(where, problem);
}

/** Check every path segment and query parameter (names and values) of `url`. */
export function checkUrl(url: URL): void {
  for (const segment of url.pathname.split("/")) checkComponent(segment, "the request path");
  for (const pair of url.search.slice(1).split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = eq === -1 ? pair : pair.slice(0, eq);
    checkComponent(name, "a query parameter name");
    if (eq !== -1) checkComponent(pair.slice(eq + 1), `query parameter ${/^[\w.-]{1,64}$/.test(name) ? name : "value"}`);
  }
}

/** Where a value sits in a body, for messages: `body.inputs.who`, `body.verify[2]`. */
function pathOf(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$-]{0,63}$/.test(key) ? `${parent}.${key}` : `${parent}[…]`;
}

/** Check every string and key of a parsed JSON value (iteratively: the depth is what is being checked). */
export function checkJson(value: unknown): void {
  const stack: { value: unknown; at: string; depth: number }[] = [{ value, at: "body", depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value: v, at, depth } = item;
    if (typeof v === "string") {
      const problem = textProblem(v);
      if (problem) throw invalidText(at, problem);
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (depth >= MAX_JSON_DEPTH) throw new ShipyardError("invalid_request", `${at} is nested more than ${MAX_JSON_DEPTH} levels deep`, 400);
    if (Array.isArray(v)) {
      v.forEach((element, i) => stack.push({ value: element, at: pathOf(at, i), depth: depth + 1 }));
      continue;
    }
    for (const [key, element] of Object.entries(v)) {
      const problem = textProblem(key);
      if (problem) throw invalidText(`a key of ${at}`, problem);
      if (key === "__proto__") throw new ShipyardError("invalid_request", `${at}: "__proto__" is not allowed as a key`, 400);
      stack.push({ value: element, at: pathOf(at, key), depth: depth + 1 });
    }
  }
}

/**
 * Hono middleware: 400 problem (`invalid_text`, or `invalid_request` for a `__proto__` key or absurd nesting)
 * for ill-formed text in the URL or a JSON body. Mount it after the body limit, so it never reads more than that.
 */
export function wellFormedInput(): MiddlewareHandler {
  return async (c, next) => {
    checkUrl(new URL(c.req.url));
    if (c.req.raw.body && /json/i.test(c.req.header("content-type") ?? "")) {
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        // Not JSON: the route's validator answers that with its own 400.
        return next();
      }
      checkJson(body);
    }
    await next();
  };
}
