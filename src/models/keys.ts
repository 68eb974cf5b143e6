// Refusing, when a run or job is submitted, work whose models cannot be called: a provider key that is neither a
// workspace secret nor in the server's environment would only fail later, deep inside a step, after the run
// has started (or, before this check, crash the server on every recovery).
import { requiredKey } from "../agents/llm/index.ts";
import { ShipyardError } from "../domain/errors.ts";
import type { Queryable } from "../db/pool.ts";
import { getProject } from "../projects/store.ts";
import { workspaceSettings } from "../workspaces/store.ts";
import type { JobInput } from "../jobs/schemas.ts";
import type { SecretStore } from "../secrets/store.ts";
import type { StepDef, WorkflowDef } from "../workflows/index.ts";

/** A model some part of a submission will call, and what calls it (for the message). */
export interface ModelUse {
  model: string;
  what: string;
}

/** Throw 422 `missing_api_key`, naming the secret to set, for the first model whose key is nowhere to be found. */
export async function assertModelKeys(secrets: SecretStore, workspaceId: string, uses: ModelUse[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const checked = new Set<string>();
  for (const use of uses) {
    const key = requiredKey(use.model, env);
    if (!key || checked.has(key.keyName)) continue;
    checked.add(key.keyName);
    if (env[key.keyName] || (await secrets.get(workspaceId, key.keyName)) !== null) continue;
    throw new ShipyardError(
      "missing_api_key",
      `${use.what} uses ${use.model}, which needs an API key: set the workspace secret ${key.keyName} (\`shipyard secrets set ${key.keyName}\`) or the server's environment variable ${key.keyName}`,
      422,
      { model: use.model, secret: key.keyName },
    );
  }
}

/** The model a step calls when it is known before it runs (not built by an expression), else null. */
function stepModel(step: StepDef, defaultModel: string | null): string | null {
  let named: string | undefined;
  if (step.kind === "llm") named = step.llm.model;
  else if (step.kind === "agent" && step.agent.executor === "builtin") named = step.agent.model;
  else return null; // a shell step, or an agent that calls its provider itself (or none)
  const model = named ?? defaultModel;
  return model && !model.includes("${{") ? model : null;
}

/** The models a workflow's steps will call, as far as is known when it is submitted. */
export function workflowModelUses(def: WorkflowDef, defaultModel: string | null): ModelUse[] {
  return [...def.steps, ...def.teardown].flatMap((s) => {
    const model = stepModel(s, defaultModel);
    return model ? [{ model, what: `step "${s.id}"` }] : [];
  });
}

/** Refuse (422) a job whose built-in agent's model (its own, its project's or its workspace's default) has no key. */
export async function assertJobModelKeys(db: Queryable, secrets: SecretStore, workspaceId: string, input: JobInput): Promise<void> {
  if (input.executor.type !== "builtin") return;
  // An unknown project is the job store's 422 to give.
  const project = await getProject(db, workspaceId, input.projectId).catch(() => null);
  if (!project) return;
  const model = input.executor.model ?? project.defaultModel ?? (await workspaceSettings(db, workspaceId)).defaultModel;
  if (model) await assertModelKeys(secrets, workspaceId, [{ model, what: "the job's builtin agent" }]);
}
