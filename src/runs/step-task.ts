// What a workflow step's attempt asks of its executor, with every `${{ }}` in it evaluated: a shell task and an
// agent task go to a runner, an llm, http or wait task is run by the server.
import { interpolate, SERVER_STEP_KINDS, type ApiRole, type ExpressionContext, type StepDef, type WorkflowDef } from "../workflows/index.ts";
import { apiStepTaskSpec } from "./api-step-task.ts";
import { agentStepTask } from "../models/agent-task.ts";
import type { AnyTaskSpec } from "../tasks/spec.ts";
import type { Queryable } from "../db/pool.ts";
import { noModelError } from "../models/default-model.ts";
import { workspaceDefaultModel } from "../workspaces/store.ts";

/** The task spec of a step in `ctx`, with the workspace's default model for a model-backed step that names none. */
export async function resolveStepTask(db: Queryable, workspaceId: string, def: StepDef, ctx: ExpressionContext): Promise<AnyTaskSpec> {
  const defaultModel = needsDefaultModel(def) ? await workspaceDefaultModel(db, workspaceId) : null;
  return stepTaskSpec(def, ctx, defaultModel);
}

/** True when the step calls a model and names none, so the workspace's default model is needed. */
function needsDefaultModel(def: StepDef): boolean {
  return (def.kind === "llm" && def.llm.model === undefined) || (def.kind === "agent" && def.agent.executor === "builtin" && def.agent.model === undefined);
}

/**
 * The task spec of a step in `ctx`, `defaultModel` standing in for a model it does not name; throws the
 * expression error of a bad `${{ }}`, or the no_model error.
 */
export function stepTaskSpec(def: StepDef, ctx: ExpressionContext, defaultModel: string | null = null): AnyTaskSpec {
  const expand = (text: string) => interpolate(text, ctx);
  const model = (given: string | undefined) => {
    const chosen = given ?? defaultModel;
    if (!chosen) throw noModelError(`step "${def.id}"`);
    return chosen;
  };
  if (def.kind === "llm") {
    return { kind: "llm", model: model(def.llm.model), prompt: expand(def.llm.prompt), timeoutMs: def.timeoutMs, ...(def.llm.schema !== undefined ? { schema: def.llm.schema } : {}) };
  }
  if (def.kind === "http" || def.kind === "wait") return apiStepTaskSpec(def, ctx, def.timeoutMs);
  const env = Object.fromEntries(Object.entries(def.env).map(([k, v]) => [k, expand(v)]));
  const where = def.workingDirectory !== undefined ? { workingDirectory: def.workingDirectory } : {};
  if (def.kind === "agent") {
    const agent = agentStepTask(def.agent, def.agent.executor === "builtin" ? model(def.agent.model) : def.agent.model, expand);
    return { ...agent, env: { ...env, ...agent.env }, timeoutMs: def.timeoutMs, network: def.network === true, ...where };
  }
  return { command: expand(def.run), env, timeoutMs: def.timeoutMs, network: def.network === true, ...where };
}

/**
 * The definition with every runner step's `network` decided, as the run is created: a step's own wins, then
 * the workspace's default; Claude Code calls Anthropic itself, so its steps get network unless they say no.
 */
export function withNetworkDefaults(def: WorkflowDef, workspaceDefault: boolean): WorkflowDef {
  const decide = (s: StepDef): StepDef => {
    if (SERVER_STEP_KINDS.has(s.kind) || s.network !== undefined) return s;
    return { ...s, network: s.kind === "agent" && s.agent.executor === "claude-code" ? true : workspaceDefault };
  };
  return { ...def, steps: def.steps.map(decide), teardown: def.teardown.map(decide) };
}

/**
 * The definition with every http step's API role decided, as the run is created: the role of the token that
 * started it, so a workflow can do on Shipyard's API what its starter could and no more (the admin's token
 * is never lent: it acts as an owner of the run's workspace).
 */
export function withApiRole(def: WorkflowDef, starter: { role: string; isAdmin: boolean } | undefined): WorkflowDef {
  const role: ApiRole = !starter ? "viewer" : starter.isAdmin || starter.role === "owner" ? "owner" : starter.role === "member" ? "member" : "viewer";
  const decide = (s: StepDef): StepDef => (s.kind === "http" ? { ...s, apiRole: role } : s);
  return { ...def, steps: def.steps.map(decide), teardown: def.teardown.map(decide) };
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
