import { describe, expect, it } from "vitest";
import { type ExpressionContext, ExpressionError, findExpressions, interpolate, shouldRun, type StepStatus } from "./index.ts";

const ctx: ExpressionContext = {
  inputs: { who: "world", n: 2 },
  steps: { a: { status: "succeeded", outputs: { v: "1", obj: '{"k":1}' } } },
};

describe("findExpressions", () => {
  it("finds every expression with offsets", () => {
    expect(findExpressions("a ${{ x }} b ${{y}}")).toEqual([
      { expr: "x", offset: 2, exprOffset: 6, end: 10 },
      { expr: "y", offset: 13, exprOffset: 16, end: 19 },
    ]);
  });
  it("ignores }} inside quoted strings", () => {
    expect(findExpressions("${{ format('}}{0}', 1) }}").map((f) => f.expr)).toEqual(["format('}}{0}', 1)"]);
  });
  it("rejects an unterminated expression", () => {
    expect(() => findExpressions("echo ${{ inputs.who")).toThrow(ExpressionError);
  });
  it("returns nothing for plain text", () => {
    expect(findExpressions("echo $HOME ${X}")).toEqual([]);
  });
});

describe("interpolate", () => {
  it.each<[string, string]>([
    ["hello ${{ inputs.who }}!", "hello world!"],
    ["${{ inputs.n }}${{ inputs.n }}", "22"],
    ["[${{ inputs.missing }}]", "[]"],
    ["${{ fromJSON(steps.a.outputs.obj) }}", '{"k":1}'],
    ["${{ steps.a.status == 'succeeded' }}", "true"],
    ["no expressions", "no expressions"],
  ])("%s → %s", (text, want) => {
    expect(interpolate(text, ctx)).toBe(want);
  });
  it("reports errors at their offset in the template", () => {
    try {
      interpolate("ab ${{ fromJSON('x') }}", ctx);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ExpressionError);
      expect((error as ExpressionError).offset).toBe(7);
    }
  });
});

describe("shouldRun", () => {
  const run = (ifText: string | undefined, needs: StepStatus[], cancelled = false): boolean =>
    shouldRun(ifText, { inputs: { go: true, stop: false }, steps: {}, needs, cancelled });

  it.each<[string | undefined, StepStatus[], boolean, boolean]>([
    // no if: all needs must have succeeded
    [undefined, [], false, true],
    [undefined, ["succeeded", "succeeded"], false, true],
    [undefined, ["succeeded", "failed"], false, false],
    [undefined, ["skipped"], false, false],
    [undefined, ["succeeded"], true, false],
    ["", ["succeeded"], false, true],
    // an if without status functions is implicitly success() && (if)
    ["inputs.go", ["succeeded"], false, true],
    ["${{ inputs.go }}", ["succeeded"], false, true],
    ["inputs.stop", ["succeeded"], false, false],
    ["inputs.go", ["failed"], false, false],
    ["true", ["skipped"], false, false],
    // status functions replace the implicit success()
    ["always()", ["failed"], false, true],
    ["always()", ["skipped"], true, true],
    ["${{ always() }}", ["failed"], false, true],
    ["failure()", ["failed"], false, true],
    ["failure()", ["succeeded", "skipped"], false, false],
    ["failure() && inputs.stop", ["failed"], false, false],
    ["success() || failure()", ["failed"], false, true],
    ["cancelled()", ["succeeded"], true, true],
    ["cancelled()", ["succeeded"], false, false],
    ["!cancelled()", ["failed"], false, true],
    ["success()", ["succeeded"], false, true],
  ])("if %j with needs %j (cancelled=%s) → %s", (ifText, needs, cancelled, want) => {
    expect(run(ifText, needs, cancelled)).toBe(want);
  });

  it("throws on a syntax error", () => {
    expect(() => run("inputs.go ==", [])).toThrow(ExpressionError);
  });
});

describe("shouldRun in teardown", () => {
  it("runs a teardown step without `if` after a cancel, but not when a teardown step it needs failed", () => {
    const base = { inputs: {}, steps: {}, cancelled: true, teardown: true };
    expect(shouldRun(undefined, { ...base, needs: [] })).toBe(true);
    expect(shouldRun(undefined, { ...base, needs: ["failed"] })).toBe(false);
    expect(shouldRun("${{ cancelled() }}", { ...base, needs: [] })).toBe(true);
    expect(shouldRun(undefined, { ...base, teardown: false, needs: [] })).toBe(false);
  });
});
