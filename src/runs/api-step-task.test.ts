import { describe, expect, it } from "vitest";
import { parseWorkflow, type ExpressionContext, type HttpStepDef, type WaitStepDef } from "../workflows/index.ts";
import { stepTaskSpec, withApiRole } from "./step-task.ts";

const TREE = `name: t
inputs:
  n: { type: number, default: 2 }
  name: { type: string, default: demo }
steps:
  - id: create
    http:
      url: /projects
      body:
        name: "\${{ inputs.name }}-\${{ inputs.n }}"
        maxFixAttempts: \${{ inputs.n }}
        exact: "\${{ inputs.name }}"
        refs: "\${{ fromJSON(steps.ref.outputs.list) }}"
        flag: "\${{ inputs.n > 1 }}"
        kept: [1, true, null]
      headers: { x-id: "\${{ steps.ref.outputs.id }}" }
      outputs: { id: $.id }
    needs: ref
  - id: ref
    run: echo
    outputs: [list, id]
  - id: done
    needs: create
    wait: { operation: "\${{ steps.create.outputs.id }}" }
`;

const ctx: ExpressionContext = {
  inputs: { n: 2, name: "demo" },
  steps: { ref: { status: "succeeded", outputs: { list: '[{"type":"url","source":"http://x"}]', id: "r1" } }, create: { status: "succeeded", outputs: { id: "" } } },
};

function steps() {
  const parsed = parseWorkflow(TREE);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.workflow;
}

describe("the task of an http step", () => {
  it("interpolates url and headers, and keeps the type of a body string that is one expression", () => {
    const def = withApiRole(steps(), { role: "member", isAdmin: false });
    const spec = stepTaskSpec(def.steps[0] as HttpStepDef, ctx);
    expect(spec).toMatchObject({ kind: "http", method: "POST", url: "/projects", headers: { "x-id": "r1" }, apiRole: "member" });
    expect(JSON.parse((spec as { body: string }).body)).toEqual({
      name: "demo-2",
      maxFixAttempts: 2,
      exact: "demo",
      refs: [{ type: "url", source: "http://x" }],
      flag: true,
      kept: [1, true, null],
    });
  });

  it("carries the starter's role on the API, the admin's as an owner's, and a viewer's with none given", () => {
    const role = (starter?: { role: string; isAdmin: boolean }) => (withApiRole(steps(), starter).steps[0] as HttpStepDef).apiRole;
    expect(role({ role: "owner", isAdmin: true })).toBe("owner");
    expect(role({ role: "viewer", isAdmin: false })).toBe("viewer");
    expect(role(undefined)).toBe("viewer");
    expect(role({ role: "runner", isAdmin: false })).toBe("viewer");
  });
});

describe("the task of a wait step", () => {
  it("fails the step when the operation id comes out empty", () => {
    expect(() => stepTaskSpec(steps().steps[2] as WaitStepDef, ctx)).toThrow("wait.operation is empty");
    const withId = { ...ctx, steps: { ...ctx.steps, create: { status: "succeeded" as const, outputs: { id: "bld_1" } } } };
    expect(stepTaskSpec(steps().steps[2] as WaitStepDef, withId)).toEqual({ kind: "wait", operationId: "bld_1", timeoutMs: 3_600_000 });
  });
});
