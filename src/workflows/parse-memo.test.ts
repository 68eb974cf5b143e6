import { describe, expect, it } from "vitest";
import { parseWorkflow } from "./parse.ts";
import { parseWorkflowMemo } from "./parse-memo.ts";

const text = 'name: m\nsteps:\n  - id: a\n    run: "true"\n';

describe("parseWorkflowMemo", () => {
  it("answers as parseWorkflow does, the same frozen result for the same text and file, and apart for another file", () => {
    const first = parseWorkflowMemo(text, "a.yaml");
    expect(first).toEqual(parseWorkflow(text, "a.yaml"));
    expect(parseWorkflowMemo(text, "a.yaml")).toBe(first);
    expect(Object.isFrozen(first.ok && first.workflow.steps[0])).toBe(true);
    expect(() => {
      if (first.ok) (first.workflow.steps as unknown as unknown[]).push({});
    }).toThrow(TypeError);
    const bad = parseWorkflowMemo("name: m\nsteps: 3\n", "b.yaml");
    expect(bad.ok).toBe(false);
    expect(bad).toEqual(parseWorkflow("name: m\nsteps: 3\n", "b.yaml"));
    expect(parseWorkflowMemo(text, "c.yaml")).not.toBe(first);
  });
});
