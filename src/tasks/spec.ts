// What a task is: the spec a runner (or the server) executes, and a task as handed to a runner. What reaches the
// runner is the runner protocol's (src/runner/protocol.ts); the server's own fields are added here.
import type { TaskMessage as WireTaskMessage, TaskSpec as WireTaskSpec } from "../runner/protocol.ts";

/** What a runner needs to execute one attempt of a step, plus what the server turns into its environment when it sends it. */
export type TaskSpec = WireTaskSpec & {
  /** The task may call this model through the server (an agent); never sent to the runner as such. */
  modelAccess?: ModelAccess;
  /**
   * The task may call the server's task endpoints (uploading build artifacts) with a task token, without any
   * model access; never sent to the runner as such.
   */
  serverAccess?: boolean;
  /** Env variable → workspace secret, resolved when the task is sent (a missing secret is left out). */
  secretEnv?: Record<string, string>;
};

/** Which model a task's agent may call through the server's model endpoint, and the step's own budget. */
export interface ModelAccess {
  model: string;
  budgetUsd?: number;
}

/** What the server needs to run one attempt of an `llm` step itself (the prompt is already interpolated). */
export interface LlmTaskSpec {
  kind: "llm";
  model: string;
  prompt: string;
  schema?: Record<string, unknown>;
  timeoutMs?: number;
  delayMs?: number;
}

/** One attempt of an `http` step (url, headers and body already interpolated; the body as JSON text). */
export interface HttpTaskSpec {
  kind: "http";
  method: string;
  /** A path of Shipyard's API (starts with `/`) or an absolute URL. */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Output name → JSONPath. */
  outputs: Record<string, string>;
  /** The role its calls to Shipyard's own API carry. */
  apiRole: "owner" | "member" | "viewer";
  timeoutMs?: number;
  delayMs?: number;
}

/** One attempt of a `wait` step. */
export interface WaitTaskSpec {
  kind: "wait";
  operationId: string;
  timeoutMs: number;
  delayMs?: number;
}

/** A step the server runs itself. */
export type ServerTaskSpec = LlmTaskSpec | HttpTaskSpec | WaitTaskSpec;
/** Kinds of server-run tasks. */
export type ServerTaskKind = ServerTaskSpec["kind"];
export const SERVER_TASK_KINDS: readonly ServerTaskKind[] = ["llm", "http", "wait"];

/** Any task's spec: a runner's shell step, or a step the server runs itself. */
export type AnyTaskSpec = TaskSpec | ServerTaskSpec;

/** True for specs the server executes: such tasks are never placed on a runner. */
export function isServerSpec(spec: AnyTaskSpec): spec is ServerTaskSpec {
  return (SERVER_TASK_KINDS as readonly unknown[]).includes((spec as { kind?: unknown }).kind);
}

/** A task as stored for a runner, before the server's fields become its environment. */
export type TaskMessage = Omit<WireTaskMessage, "spec"> & { spec: TaskSpec };

/** A task assigned to a runner: the message for it plus what only the server needs. */
export interface AssignedTask {
  message: TaskMessage;
  workflowId: string;
  workspaceId: string;
  secretEnv: Record<string, string>;
}

/** Who holds a task now: enough for the gateway to decide whether a runner's frame for it is genuine. */
export interface TaskHolder {
  operationId: string;
  stepId: string;
  attempt: number;
  dispatch: number;
  runnerId: string | null;
  status: string;
}
