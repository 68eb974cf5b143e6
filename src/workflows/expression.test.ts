import { describe, expect, it } from "vitest";
import {
  collectReferences,
  evaluateExpression,
  type ExpressionContext,
  ExpressionError,
  parseExpression,
  usesStatusFunction,
} from "./index.ts";

const ctx: ExpressionContext = {
  inputs: { who: "world", n: 3, flag: true, zero: 0, empty: "" },
  steps: {
    greet: { status: "succeeded", outputs: { greeting: "hello world", count: "10", json: '{"a":[1,2],"b":"x"}' } },
    "my-step": { status: "failed", outputs: {} },
  },
  needs: ["succeeded"],
};
const ev = (src: string, c: ExpressionContext = ctx): unknown => evaluateExpression(src, c);

describe("evaluateExpression", () => {
  it.each<[string, unknown]>([
    // literals and string escapes
    ["'it''s'", "it's"],
    ["''", ""],
    ["42", 42],
    ["-1.5", -1.5],
    ["0x10", 16],
    ["1e3", 1000],
    ["true", true],
    ["false", false],
    ["null", null],
    // property access and indexing
    ["inputs.who", "world"],
    ["inputs['who']", "world"],
    ["steps.greet.outputs.greeting", "hello world"],
    ["steps.greet.status", "succeeded"],
    ["steps.my-step.status", "failed"],
    ["steps['my-step'].status", "failed"],
    ["fromJSON(steps.greet.outputs.json).a[1]", 2],
    // missing properties are null, never errors
    ["inputs.missing", null],
    ["steps.nope.outputs.x", null],
    ["steps.greet.outputs.greeting.deeper", null],
    ["fromJSON(steps.greet.outputs.json).a[5]", null],
    ["unknownroot.x", null],
    // equality: strict, except number vs string compare as numbers
    ["inputs.who == 'world'", true],
    ["inputs.who == 'World'", false],
    ["inputs.n == '3'", true],
    ["'3.0' == 3", true],
    ["steps.greet.outputs.count == 10", true],
    ["'abc' == 0", false],
    ["inputs.flag == 'true'", false],
    ["inputs.missing == null", true],
    ["inputs.who != 'world'", false],
    ["1 != 2", true],
    // relational
    ["inputs.n > 2", true],
    ["inputs.n >= 3", true],
    ["inputs.n < 3", false],
    ["inputs.n <= 3", true],
    ["steps.greet.outputs.count > 9", true],
    ["'a' < 'b'", true],
    ["'abc' < 1", false],
    // logic returns operands like JS
    ["!inputs.flag", false],
    ["!inputs.empty", true],
    ["!!inputs.who", true],
    ["inputs.empty || 'fallback'", "fallback"],
    ["inputs.who && inputs.n", 3],
    ["inputs.zero && 'no'", 0],
    ["inputs.missing || inputs.missing", null],
    // precedence: ! > comparison > equality > && > ||
    ["true || false && false", true],
    ["(true || false) && false", false],
    ["1 < 2 == true", true],
    ["!inputs.flag == false", true],
    ["false && false || true", true],
    // functions
    ["success()", true],
    ["always()", true],
    ["failure()", false],
    ["cancelled()", false],
    ["contains('Hello', 'ell')", true],
    ["contains('Hello', 'ELL')", true],
    ["contains(fromJSON('[1, 2]'), 2)", true],
    ["contains(fromJSON('[\"a\"]'), 'b')", false],
    ["startsWith(inputs.who, 'wor')", true],
    ["endsWith(inputs.who, 'LD')", true],
    ["endsWith(inputs.who, 'x')", false],
    ["format('{0}-{1}-{0}', inputs.who, inputs.n)", "world-3-world"],
    ["format('{{literal}} {0}', null)", "{literal} "],
    ["toJSON(inputs.n)", "3"],
    ["toJSON(fromJSON('{\"a\":1}'))", '{\n  "a": 1\n}'],
    ["fromJSON('true')", true],
    ["FORMAT('{0}', 1)", "1"],
    // wrapper is optional
    ["${{ inputs.n }}", 3],
  ])("%s → %j", (src, want) => {
    expect(ev(src)).toEqual(want);
  });

  it("derives status functions from needs and cancellation", () => {
    const base = { inputs: {}, steps: {} };
    expect(ev("success()", { ...base, needs: [] })).toBe(true);
    expect(ev("success()", { ...base, needs: ["succeeded", "skipped"] })).toBe(false);
    expect(ev("failure()", { ...base, needs: ["succeeded", "failed"] })).toBe(true);
    expect(ev("failure()", { ...base, needs: ["skipped"] })).toBe(false);
    expect(ev("success()", { ...base, needs: [], cancelled: true })).toBe(false);
    expect(ev("cancelled()", { ...base, cancelled: true })).toBe(true);
  });

  it("throws evaluation errors for bad format() and fromJSON()", () => {
    expect(() => ev("format('{1}', 'a')")).toThrow("{1} has no matching argument");
    expect(() => ev("format('{', 'a')")).toThrow('stray "{"');
    expect(() => ev("fromJSON('nope')")).toThrow("is not valid JSON");
  });
});

describe("parseExpression errors", () => {
  it.each<[string, number, string]>([
    ["", 0, "empty expression"],
    ["inputs.who ==", 11, 'expected a value after "=="'],
    ["inputs.who = 'x'", 11, "use == to compare"],
    ['"x"', 0, "strings use single quotes"],
    ["'abc", 0, "unterminated string"],
    ["(true", 5, 'expected ")" to close the parenthesis'],
    ["a b", 2, 'unexpected "b" after a complete expression'],
    ["inputs.", 7, "expected a property name"],
    ["contians(1, 2)", 0, 'unknown function "contians" (did you mean "contains"?)'],
    ["contains(1)", 0, "contains() takes 2 arguments, got 1"],
    ["toJSON()", 0, "toJSON() takes 1 argument, got 0"],
    ["format()", 0, "format() takes at least 1 argument, got 0"],
    ["a & b", 2, "use && for 'and'"],
    ["inputs[1", 8, 'expected "]"'],
    ["1abc", 0, "unexpected character"],
  ])("%j fails at %i with %s", (src, offset, message) => {
    let error: unknown;
    try {
      parseExpression(src);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).message).toContain(message);
    expect((error as ExpressionError).offset).toBe(offset);
  });
});

describe("static analysis", () => {
  it("collects references with their path and offset", () => {
    const refs = collectReferences(
      parseExpression("inputs.who == steps.greet.outputs['greeting'] || contains(steps[inputs.id].status, steps.x.outputs.y)"),
    );
    expect(refs).toEqual([
      { root: "inputs", path: ["who"], offset: 0 },
      { root: "steps", path: ["greet", "outputs", "greeting"], offset: 14 },
      { root: "steps", path: [], offset: 58 },
      { root: "inputs", path: ["id"], offset: 64 },
      { root: "steps", path: ["x", "outputs", "y"], offset: 83 },
    ]);
  });

  it("knows when an expression uses a status function", () => {
    expect(usesStatusFunction(parseExpression("inputs.a == 'b'"))).toBe(false);
    expect(usesStatusFunction(parseExpression("contains('a', 'b')"))).toBe(false);
    expect(usesStatusFunction(parseExpression("always()"))).toBe(true);
    expect(usesStatusFunction(parseExpression("!cancelled() && inputs.x"))).toBe(true);
    expect(usesStatusFunction(parseExpression("format('{0}', failure())"))).toBe(true);
  });
});
