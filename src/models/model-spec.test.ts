import { describe, expect, it } from "vitest";
import { Executor, ProjectInput } from "../jobs/schemas.ts";
import { parseWorkflow } from "../workflows/index.ts";
import { ModelSpec, modelSpecProblem } from "./model-spec.ts";

const llmStep = (model: string) => `name: x\nsteps:\n  - id: a\n    llm: { model: "${model}", prompt: hi }\n`;
const agentStep = (executor: string, model: string) => `name: x\nsteps:\n  - id: a\n    agent: { executor: ${executor}, model: "${model}", prompt: hi }\n`;

describe("model specs", () => {
  it("are judged alike by the workflow language, the jobs and projects API and the settings (they accepted different things)", () => {
    const good = ["anthropic:claude-sonnet-4-5", "ollama:llama3.1:8b", "openai-compatible:my-vllm:qwen", "replay:demo"];
    // An unknown provider, a space or a quote in the model, an option, a missing endpoint: the language let the
    // first four through to fail at run time, the API refused them.
    const bad = ["gemini:pro", "replay:a b", 'replay:x"y', "replay:--help", "openai-compatible:gpt-4.1", "replay:", ":demo", "demo"];
    for (const spec of good) {
      expect(modelSpecProblem(spec), spec).toBeNull();
      expect(parseWorkflow(llmStep(spec)).ok, spec).toBe(true);
      expect(parseWorkflow(agentStep("builtin", spec)).ok, spec).toBe(true);
      expect(Executor.safeParse({ type: "builtin", model: spec }).success, spec).toBe(true);
      expect(ModelSpec.safeParse(spec).success, spec).toBe(true);
    }
    for (const spec of bad) {
      expect(modelSpecProblem(spec), spec).not.toBeNull();
      expect(parseWorkflow(llmStep(spec)).ok, spec).toBe(false);
      expect(parseWorkflow(agentStep("builtin", spec)).ok, spec).toBe(false);
      expect(Executor.safeParse({ type: "builtin", model: spec }).success, spec).toBe(false);
      expect(ProjectInput.safeParse({ name: "p", repo: "/r", defaultModel: spec }).success, spec).toBe(false);
    }
  });

  it("give Claude Code the same model names in a workflow step as in a job (a step took any text, an option too)", () => {
    for (const [model, ok] of [["sonnet", true], ["claude-opus-4-1", true], ["--dangerously-skip-permissions", false], ["a b", false]] as const) {
      expect(parseWorkflow(agentStep("claude-code", model)).ok, model).toBe(ok);
      expect(Executor.safeParse({ type: "claude-code", model }).success, model).toBe(ok);
    }
  });
});
