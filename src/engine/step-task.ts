// What a workflow step's attempt asks of its executor, with every `${{ }}` in it evaluated: a shell task and an
// agent task go to a runner, an llm task is run by the server.
import { interpolate, type ExpressionContext, type StepDef } from "../workflows/index.ts";
import { agentStepTask } from "./agent-task.ts";
import type { AnyTaskSpec } from "./dispatch.ts";

/** The task spec of a step in `ctx`; throws the expression error of a bad `${{ }}`. */
export function stepTaskSpec(def: StepDef, ctx: ExpressionContext): AnyTaskSpec {
  const expand = (text: string) => interpolate(text, ctx);
  if (def.kind === "llm") {
    return { kind: "llm", model: def.llm.model, prompt: expand(def.llm.prompt), timeoutMs: def.timeoutMs, ...(def.llm.schema !== undefined ? { schema: def.llm.schema } : {}) };
  }
  const env = Object.fromEntries(Object.entries(def.env).map(([k, v]) => [k, expand(v)]));
  if (def.kind === "agent") {
    const agent = agentStepTask(def.agent, expand);
    return { ...agent, env: { ...env, ...agent.env }, timeoutMs: def.timeoutMs };
  }
  return { command: expand(def.run), env, timeoutMs: def.timeoutMs };
}

/** A run's outputs from its definition's expressions; one that cannot be evaluated is empty. */
export function runOutputs(outputs: Record<string, string>, ctx: ExpressionContext): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, expr] of Object.entries(outputs)) {
    try {
      values[name] = interpolate(expr, ctx);
    } catch {
      values[name] = "";
    }
  }
  return values;
}
