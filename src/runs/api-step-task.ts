// The task spec of an `http` or `wait` step's attempt, with every `${{ }}` in it evaluated.
import { ShipyardError } from "../domain/errors.ts";
import type { HttpTaskSpec, WaitTaskSpec } from "../tasks/spec.ts";
import { evaluateExpression, findExpressions, interpolate, mapBodyStrings, type ExpressionContext, type HttpStepDef, type WaitStepDef } from "../workflows/index.ts";

/**
 * A body string with its expressions evaluated. One that is a single `${{ }}` and nothing else takes the
 * expression's value as it is (a number input stays a number, `fromJSON(...)` a list), so an API that wants
 * a number or an object gets one; any other string is interpolated text.
 */
export function bodyValue(text: string, ctx: ExpressionContext): unknown {
  const found = findExpressions(text);
  const [only] = found;
  if (found.length !== 1 || !only || text.slice(0, only.offset).trim() !== "" || text.slice(only.end).trim() !== "") return interpolate(text, ctx);
  const value = evaluateExpression(only.expr, ctx);
  // Text goes through interpolate, which refuses what JSON could not carry (a NUL, an unpaired surrogate).
  return typeof value === "string" ? interpolate(text, ctx) : value;
}

/** The spec of one attempt of an http or wait step in `ctx`; throws the expression error of a bad `${{ }}`. */
export function apiStepTaskSpec(def: HttpStepDef | WaitStepDef, ctx: ExpressionContext, timeoutMs: number | undefined): HttpTaskSpec | WaitTaskSpec {
  const expand = (text: string) => interpolate(text, ctx);
  if (def.kind === "wait") {
    const operationId = expand(def.wait.operation).trim();
    if (operationId === "") throw new ShipyardError("invalid_request", `step "${def.id}": wait.operation is empty (did the step it reads write that output?)`, 422);
    return { kind: "wait", operationId, timeoutMs: def.wait.timeoutMs };
  }
  const { http } = def;
  const spec: HttpTaskSpec = {
    kind: "http",
    method: http.method,
    url: expand(http.url),
    headers: Object.fromEntries(Object.entries(http.headers).map(([k, v]) => [k, expand(v)])),
    outputs: http.outputs,
    apiRole: def.apiRole ?? "viewer",
  };
  if (http.body !== undefined) spec.body = JSON.stringify(mapBodyStrings(http.body, (text) => bodyValue(text, ctx)));
  if (timeoutMs !== undefined) spec.timeoutMs = timeoutMs;
  return spec;
}
