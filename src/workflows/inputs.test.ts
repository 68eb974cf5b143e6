import { describe, expect, it } from "vitest";
import { InputError, resolveInputs, type WorkflowDef } from "./index.ts";

const def: WorkflowDef = {
  name: "w",
  inputs: {
    who: { type: "string", default: "world" },
    count: { type: "number", required: true },
    dry: { type: "boolean", default: false },
    note: { type: "string" },
    ratio: { type: "number" },
  },
  steps: [],
  teardown: [],
  outputs: {},
};

/** Returns the problems resolveInputs throws, or fails the test. */
function problems(provided: Record<string, unknown>): { input: string; message: string }[] {
  try {
    resolveInputs(def, provided);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).problems;
  }
  throw new Error("expected an InputError");
}

describe("resolveInputs", () => {
  it("applies defaults and leaves optional inputs without default out", () => {
    expect(resolveInputs(def, { count: 2 })).toEqual({ who: "world", count: 2, dry: false });
  });

  it.each<[Record<string, unknown>, Record<string, unknown>]>([
    [{ count: "3" }, { count: 3 }],
    [{ count: " -1.5 " }, { count: -1.5 }],
    [{ count: 1, dry: "true" }, { dry: true }],
    [{ count: 1, dry: "FALSE" }, { dry: false }],
    [{ count: 1, dry: true }, { dry: true }],
    [{ count: 1, who: 42 }, { who: "42" }],
    [{ count: 1, who: "" }, { who: "" }],
    [{ count: 1, note: "hi", ratio: "0.25" }, { note: "hi", ratio: 0.25 }],
  ])("coerces %j", (provided, want) => {
    expect(resolveInputs(def, provided)).toMatchObject(want);
  });

  it("reports every problem with a readable message", () => {
    expect(problems({ cuont: 1, dry: "yes", ratio: "abc", who: [1] })).toEqual([
      { input: "cuont", message: 'unknown input (did you mean "count"?); known inputs: who, count, dry, note, ratio' },
      { input: "who", message: "must be a string, got a list" },
      { input: "count", message: "required input is missing; pass it as count=<number>" },
      { input: "dry", message: 'must be true or false, got "yes"' },
      { input: "ratio", message: 'must be a number, got "abc"' },
    ]);
  });

  it("rejects empty strings and null for numbers", () => {
    expect(problems({ count: "" })).toEqual([{ input: "count", message: 'must be a number, got ""' }]);
    expect(problems({ count: null })).toEqual([{ input: "count", message: "must be a number, got null" }]);
  });

  it("formats the error message as a list", () => {
    expect(() => resolveInputs({ ...def, inputs: {} }, { x: 1 })).toThrow("invalid inputs:\n  - x: unknown input; this workflow takes no inputs");
  });

  it("uses the default of a required input when it is not provided", () => {
    const withDefault: WorkflowDef = { ...def, inputs: { env: { type: "string", required: true, default: "dev" } } };
    expect(resolveInputs(withDefault, {})).toEqual({ env: "dev" });
  });
});
