/** `${{ }}` templates inside YAML strings, and the `if:` rule that decides whether a step runs. */
import { textProblem } from "../domain/text.ts";
import {
  type ExpressionContext,
  ExpressionError,
  evaluateExpression,
  parseExpression,
  stringify,
  truthy,
  unwrapExpression,
  usesStatusFunction,
} from "./expression.ts";

/** One `${{ }}` occurrence in a template. */
export interface FoundExpression {
  /** The expression source, trimmed. */
  expr: string;
  /** Offset of `${{` in the template. */
  offset: number;
  /** Offset of `expr` in the template, so expression error offsets can be mapped back. */
  exprOffset: number;
  /** Offset just past the closing `}}`. */
  end: number;
}

/** Finds every `${{ expr }}` in a template; throws ExpressionError (offset in the template) when one is not closed. */
export function findExpressions(text: string): FoundExpression[] {
  const found: FoundExpression[] = [];
  let start = text.indexOf("${{");
  while (start !== -1) {
    let i = start + 3;
    let close = -1;
    while (i < text.length) {
      // A `}}` inside a quoted string does not end the expression.
      if (text[i] === "'") {
        const endQuote = text.indexOf("'", i + 1);
        if (endQuote === -1) break;
        i = endQuote + 1;
        continue;
      }
      if (text.startsWith("}}", i)) {
        close = i;
        break;
      }
      i++;
    }
    if (close === -1) throw new ExpressionError("unterminated ${{; close it with }}", start);
    const raw = text.slice(start + 3, close);
    const lead = raw.length - raw.trimStart().length;
    found.push({ expr: raw.trim(), offset: start, exprOffset: start + 3 + lead, end: close + 2 });
    start = text.indexOf("${{", close + 2);
  }
  return found;
}

/**
 * Replaces every `${{ expr }}` with its value: null → '', objects → JSON, everything else → String. A value
 * with a NUL or an unpaired surrogate is an ExpressionError.
 */
export function interpolate(text: string, ctx: ExpressionContext): string {
  let out = "";
  let last = 0;
  for (const found of findExpressions(text)) {
    out += text.slice(last, found.offset);
    try {
      const value = stringify(evaluateExpression(parseExpression(found.expr), ctx));
      // What is interpolated becomes a command, an env value, a prompt or a stored output: text that cannot
      // hold a NUL or an unpaired surrogate (fromJSON can make either from plain escapes).
      const problem = textProblem(value);
      if (problem) throw new ExpressionError(`its value ${problem}`, 0);
      out += value;
    } catch (error) {
      if (error instanceof ExpressionError) throw new ExpressionError(error.message, found.exprOffset + error.offset);
      throw error;
    }
    last = found.end;
  }
  return out + text.slice(last);
}

/**
 * Decides whether a step runs, with GitHub semantics: no `if` means success(); an `if` that calls none of
 * success()/failure()/always()/cancelled() is implicitly `success() && (<if>)`.
 */
export function shouldRun(ifText: string | undefined, ctx: ExpressionContext): boolean {
  const source = ifText === undefined ? "" : unwrapExpression(ifText).trim();
  const condition = parseExpression(source === "" ? "success()" : source);
  const value = truthy(evaluateExpression(condition, ctx));
  if (usesStatusFunction(condition)) return value;
  return truthy(evaluateExpression("success()", ctx)) && value;
}
