/** The expression language inside `${{ }}`: evaluation with GitHub-Actions-like semantics, plus static analysis. */
import { type Expr, ExpressionError, parseExpression } from "./expression-parser.ts";

export { type BinaryOp, type Expr, ExpressionError, FUNCTIONS, type FunctionName, type Literal, parseExpression } from "./expression-parser.ts";

export type StepStatus = "pending" | "queued" | "running" | "succeeded" | "failed" | "skipped" | "cancelled";

export interface ExpressionContext {
  inputs: Record<string, string | number | boolean>;
  steps: Record<string, { status: StepStatus; outputs: Record<string, string> }>;
  /** Statuses of the evaluating step's direct needs, for success() and failure(). */
  needs?: StepStatus[];
  cancelled?: boolean;
  /** Teardown steps run after a cancel too: there success() looks only at their needs. */
  teardown?: boolean;
}

/** A context path an expression reads, e.g. `{ root: "steps", path: ["greet", "outputs", "greeting"] }`. */
export interface Reference {
  root: string;
  path: string[];
  /** 0-based offset of the root name in the expression source. */
  offset: number;
}

const STATUS_FUNCTIONS = new Set(["success", "failure", "always", "cancelled"]);

/** Truthiness as in GitHub Actions (and JS): false, 0, NaN, '' and null are false. */
export function truthy(value: unknown): boolean {
  return Boolean(value);
}

/** Converts a value to the string form used by functions, format() and interpolation. */
export function stringify(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** GitHub's number coercion: null → 0, booleans → 0/1, '' → 0, non-numeric strings → NaN. */
function toNumber(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") return value.trim() === "" ? 0 : Number(value);
  return Number.NaN;
}

/** Strict equality, except that a number and a string are compared as numbers ('3' == 3). */
function looseEquals(a: unknown, b: unknown): boolean {
  if ((typeof a === "number" && typeof b === "string") || (typeof a === "string" && typeof b === "number")) {
    return toNumber(a) === toNumber(b);
  }
  return a === b;
}

/** Relational comparison: strings compare as strings, anything else is coerced to numbers (NaN → false). */
function compare(op: "<" | "<=" | ">" | ">=", a: unknown, b: unknown): boolean {
  const [x, y] = typeof a === "string" && typeof b === "string" ? [a, b] : [toNumber(a), toNumber(b)];
  switch (op) {
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    case ">":
      return x > y;
    case ">=":
      return x >= y;
  }
}

/** Reads a property without ever throwing: anything missing is null. */
function member(object: unknown, key: unknown): unknown {
  if (object === null || typeof object !== "object") return null;
  if (Array.isArray(object)) {
    const index = typeof key === "number" ? key : typeof key === "string" && /^\d+$/.test(key) ? Number(key) : Number.NaN;
    return Number.isInteger(index) && index >= 0 && index < object.length ? object[index] : null;
  }
  const name = stringify(key);
  return Object.prototype.hasOwnProperty.call(object, name) ? ((object as Record<string, unknown>)[name] ?? null) : null;
}

/** `format('{0}-{1}', a, b)`, with `{{` and `}}` as literal braces. */
function format(template: string, args: unknown[], offset: number): string {
  return template.replace(/\{\{|\}\}|\{(\d+)\}|[{}]/g, (match, index: string | undefined) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    if (index === undefined) throw new ExpressionError(`format(): stray "${match}" in ${JSON.stringify(template)}; write {{ or }} for a literal brace`, offset);
    const i = Number(index);
    if (i >= args.length) throw new ExpressionError(`format(): {${i}} has no matching argument (got ${args.length})`, offset);
    return stringify(args[i]);
  });
}

/** Evaluates a function call; string functions are case-insensitive like GitHub's. */
function call(expr: Expr & { kind: "call" }, ctx: ExpressionContext): unknown {
  const needs = ctx.needs ?? [];
  const succeeded = (ctx.teardown === true || !ctx.cancelled) && needs.every((status) => status === "succeeded");
  const args = (): unknown[] => expr.args.map((arg) => evaluate(arg, ctx));
  switch (expr.name) {
    case "success":
      return succeeded;
    case "failure":
      return needs.some((status) => status === "failed");
    case "always":
      return true;
    case "cancelled":
      return ctx.cancelled === true;
    case "contains": {
      const [haystack, needle] = args();
      if (Array.isArray(haystack)) return haystack.some((item) => looseEquals(item, needle));
      return stringify(haystack).toLowerCase().includes(stringify(needle).toLowerCase());
    }
    case "startsWith": {
      const [text, prefix] = args();
      return stringify(text).toLowerCase().startsWith(stringify(prefix).toLowerCase());
    }
    case "endsWith": {
      const [text, suffix] = args();
      return stringify(text).toLowerCase().endsWith(stringify(suffix).toLowerCase());
    }
    case "format": {
      const [template, ...rest] = args();
      return format(stringify(template), rest, expr.offset);
    }
    case "toJSON":
      return JSON.stringify(args()[0] ?? null, null, 2);
    case "fromJSON": {
      const text = stringify(args()[0]);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new ExpressionError(`fromJSON(): ${JSON.stringify(text)} is not valid JSON`, expr.offset);
      }
    }
  }
}

/** Evaluates a parsed expression node. */
function evaluate(expr: Expr, ctx: ExpressionContext): unknown {
  switch (expr.kind) {
    case "literal":
      return expr.value;
    case "name":
      return expr.name === "inputs" ? ctx.inputs : expr.name === "steps" ? ctx.steps : null;
    case "property":
      return member(evaluate(expr.object, ctx), expr.name);
    case "index":
      return member(evaluate(expr.object, ctx), evaluate(expr.index, ctx));
    case "not":
      return !truthy(evaluate(expr.operand, ctx));
    case "call":
      return call(expr, ctx);
    case "binary": {
      const left = evaluate(expr.left, ctx);
      // && and || short-circuit and return an operand, like JS, so `a || 'default'` works.
      if (expr.op === "&&") return truthy(left) ? evaluate(expr.right, ctx) : left;
      if (expr.op === "||") return truthy(left) ? left : evaluate(expr.right, ctx);
      const right = evaluate(expr.right, ctx);
      if (expr.op === "==") return looseEquals(left, right);
      if (expr.op === "!=") return !looseEquals(left, right);
      return compare(expr.op, left, right);
    }
  }
}

/** Removes a `${{ }}` wrapper around a whole expression, if present. */
export function unwrapExpression(src: string): string {
  const match = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(src);
  return match && !match[1]?.includes("}}") ? (match[1] ?? "") : src;
}

/** Evaluates an expression (source with or without `${{ }}`, or parsed); missing properties are null. */
export function evaluateExpression(expr: Expr | string, ctx: ExpressionContext): unknown {
  const parsed = typeof expr === "string" ? parseExpression(unwrapExpression(expr)) : expr;
  return evaluate(parsed, ctx) ?? null;
}

/** Lists the context paths an expression reads, for static validation. */
export function collectReferences(expr: Expr): Reference[] {
  const found: Reference[] = [];
  const visit = (node: Expr): void => {
    switch (node.kind) {
      case "literal":
        return;
      case "name":
      case "property":
      case "index": {
        // Walk the member chain down to its root, keeping only the statically known prefix of the path.
        const path: string[] = [];
        let current: Expr = node;
        while (current.kind === "property" || current.kind === "index") {
          if (current.kind === "property") {
            path.unshift(current.name);
          } else if (current.index.kind === "literal" && current.index.value !== null) {
            path.unshift(String(current.index.value));
          } else {
            visit(current.index);
            path.length = 0;
          }
          current = current.object;
        }
        if (current.kind === "name") found.push({ root: current.name, path, offset: current.offset });
        else visit(current);
        return;
      }
      case "not":
        return visit(node.operand);
      case "binary":
        visit(node.left);
        return visit(node.right);
      case "call":
        return node.args.forEach(visit);
    }
  };
  visit(expr);
  return found.sort((a, b) => a.offset - b.offset);
}

/** True when the expression calls success(), failure(), always() or cancelled(), which disables the implicit success(). */
export function usesStatusFunction(expr: Expr): boolean {
  switch (expr.kind) {
    case "call":
      return STATUS_FUNCTIONS.has(expr.name) || expr.args.some(usesStatusFunction);
    case "not":
      return usesStatusFunction(expr.operand);
    case "binary":
      return usesStatusFunction(expr.left) || usesStatusFunction(expr.right);
    case "property":
      return usesStatusFunction(expr.object);
    case "index":
      return usesStatusFunction(expr.object) || usesStatusFunction(expr.index);
    default:
      return false;
  }
}
