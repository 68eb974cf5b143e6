import { describe, expect, it } from "vitest";
import { formatIssue, knownOutputs, parseWorkflow, type WorkflowIssue } from "./index.ts";

const wf = (agent: string, extra = "") => `name: x\nsteps:\n  - id: a\n    agent: ${agent}\n${extra}`;

function issuesOf(text: string): [string, string][] {
  const result = parseWorkflow(text, "w.yaml");
  if (result.ok) throw new Error("expected the workflow to be rejected");
  return result.errors.map((i: WorkflowIssue) => [i.code, i.path]);
}

describe("parseWorkflow: agent steps", () => {
  it("normalizes an agent step (builtin by default) and knows its executor's outputs", () => {
    const result = parseWorkflow(wf('{ model: "openai:gpt-4.1", prompt: "Fix it", max_turns: 30, budget_usd: 0.5 }'));
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join("\n"));
    const [step] = result.workflow.steps;
    expect(step).toEqual({
      id: "a",
      kind: "agent",
      agent: { executor: "builtin", model: "openai:gpt-4.1", prompt: "Fix it", maxTurns: 30, budgetUsd: 0.5 },
      needs: [],
      env: {},
      retry: { max: 0, backoffMs: 1000 },
    });
    expect(step && knownOutputs(step)).toEqual(new Set(["text", "turns", "usage_input_tokens", "usage_output_tokens"]));
    const claude = parseWorkflow(wf('{ executor: claude-code, prompt: "Fix it" }'));
    expect(claude.ok && claude.workflow.steps[0] && knownOutputs(claude.workflow.steps[0])).toContain("cost_usd");
    const command = parseWorkflow(wf('{ executor: command, command: "my-agent", prompt: "Fix it" }'));
    expect(command.ok && command.workflow.steps[0] && knownOutputs(command.workflow.steps[0])).toBe("unknown");
  });

  it("says which fields an executor needs or does not use", () => {
    // Without a model the builtin agent takes the workspace's default when the step starts.
    expect(parseWorkflow(wf("{ prompt: hi }")).ok).toBe(true);
    expect(issuesOf(wf('{ model: "gpt-4.1", prompt: hi }'))).toEqual([["bad_value", "steps[0].agent.model"]]);
    expect(issuesOf(wf("{ executor: command, prompt: hi }"))).toEqual([["missing_field", "steps[0].agent"]]);
    expect(issuesOf(wf('{ executor: command, command: x, prompt: hi, budget_usd: 1 }'))).toEqual([["bad_value", "steps[0].agent.budget_usd"]]);
    expect(issuesOf(wf("{ executor: claude-code, command: x, prompt: hi }"))).toEqual([["bad_value", "steps[0].agent.command"]]);
    expect(issuesOf(wf('{ model: "replay:x", prompt: hi, budget_usd: 0 }')).map(([c]) => c)).toEqual(["bad_value"]);
    expect(issuesOf(wf('{ model: "replay:x", prompt: "" }')).length).toBe(1);
    expect(issuesOf(wf("{ executor: codex, prompt: hi }")).length).toBe(1);
    expect(issuesOf(wf('{ model: "replay:x", prompt: hi }', "    run: echo\n")).length).toBe(1);
  });

  it("checks references in the prompt", () => {
    expect(issuesOf(wf('{ model: "replay:x", prompt: "${{ steps.nope.outputs.x }}" }'))).toEqual([["unknown_reference", "steps[0].agent.prompt"]]);
  });
});
