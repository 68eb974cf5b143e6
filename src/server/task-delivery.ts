// What a runner is sent for a task: its spec with the environment only the server can give it, the
// workspace secrets it names and, for an agent, its task token and what is left of its budget.
import type { AssignedTask, ModelAccess } from "../tasks/spec.ts";
import type { Logger } from "../logger.ts";
import type { TaskMessage } from "../runner/protocol.ts";

/** Where a task's secrets and model access come from. */
export interface DeliveryOptions {
  log: Logger;
  /** Decrypts a workspace secret for a task's env (null when it does not exist). */
  resolveSecret?: (workspaceId: string, name: string) => Promise<string | null>;
  /** The environment of a task whose agent may call models through the server (its token, its budget). */
  modelAccessEnv?: (t: AssignedTask, access: ModelAccess) => Promise<Record<string, string>>;
  /** The task token of a task that asks for server access only (`serverAccess`: uploading artifacts). */
  taskToken?: (taskId: string, dispatch: number) => string;
}

/** The message a runner gets for `t`: what only the server knows (secret names, model access) turned into env. */
export async function deliverableTask(t: AssignedTask, o: DeliveryOptions): Promise<TaskMessage> {
  const { modelAccess, serverAccess, secretEnv: _names, ...spec } = t.message.spec;
  const env = { ...spec.env };
  for (const [name, secret] of Object.entries(t.secretEnv)) {
    const value = await o.resolveSecret?.(t.workspaceId, secret);
    if (value !== null && value !== undefined) env[name] = value;
  }
  if (modelAccess && o.modelAccessEnv) {
    // Without its token the agent fails with a clear error; the task is still sent so its result comes back.
    const extra = await o.modelAccessEnv(t, modelAccess).catch((err: Error) => {
      o.log.warn({ err: err.message, taskId: t.message.taskId }, "could not prepare the task's model access");
      return {};
    });
    Object.assign(env, extra);
  } else if (serverAccess && o.taskToken) {
    env.SHIPYARD_TASK_TOKEN = o.taskToken(t.message.taskId, t.message.dispatch);
  }
  return { ...t.message, spec: { ...spec, env } };
}
