/** Zod schemas for the YAML workflow language v1 and the normalized types the rest of Shipyard consumes. */
import { z } from "zod";
import { agentShape, checkAgent, type AgentCall } from "./agent-schema.ts";
import { DURATION_HINT, parseDuration } from "./duration.ts";
import { fail, modelSpecProblem } from "./refine.ts";
import { checkLlmStepFields, workingDirectorySchema } from "./step-fields.ts";
import { checkApiStepFields, httpShape, normalizeHttp, normalizeWait, waitShape, type HttpCall, type WaitCall } from "./api-steps.ts";
import { PROTOTYPE_KEYS } from "../domain/text.ts";

export { AGENT_EXECUTORS, type AgentCall } from "./agent-schema.ts";
export type { HttpCall, WaitCall } from "./api-steps.ts";

/** Step ids, input names and output names: usable as `steps.<id>` in expressions without quoting. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Longest identifier: step ids become part of task ids and file names, which the kernel caps at 255 bytes. */
export const MAX_IDENTIFIER_LENGTH = 64;
/** Environment variable names a step may set. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type InputType = "string" | "number" | "boolean";
export type InputValue = string | number | boolean;

export interface InputSpec {
  type: InputType;
  default?: InputValue;
  required?: boolean;
  description?: string;
}

/** Keys that select what a step does; a step has exactly one. */
export const STEP_KINDS = ["run", "llm", "agent", "http", "wait"] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** Fields every step kind shares, in normalized form. */
export interface StepCommon {
  id: string;
  name?: string;
  needs: string[];
  if?: string;
  env: Record<string, string>;
  timeoutMs?: number;
  retry: { max: number; backoffMs: number };
  outputs?: string[];
  workingDirectory?: string;
  /** The step's sandbox shares the host's network (default: the workspace's `stepNetwork` setting). */
  network?: boolean;
}

export interface RunStepDef extends StepCommon {
  kind: "run";
  run: string;
}

/** What an `llm` step asks: a `provider:model`, a templated prompt and optionally a JSON Schema for the answer. */
export interface LlmCall {
  /** Default: the workspace's default model. */
  model?: string;
  prompt: string;
  schema?: Record<string, unknown>;
}

export interface LlmStepDef extends StepCommon {
  kind: "llm";
  llm: LlmCall;
}

export interface AgentStepDef extends StepCommon {
  kind: "agent";
  agent: AgentCall;
}

/** Roles an http step's calls to Shipyard's own API may carry (never the admin's). */
export type ApiRole = "owner" | "member" | "viewer";

export interface HttpStepDef extends StepCommon {
  kind: "http";
  http: HttpCall;
  /** The role of the token that started the run, decided as the run is created (absent: viewer). */
  apiRole?: ApiRole;
}

export interface WaitStepDef extends StepCommon {
  kind: "wait";
  wait: WaitCall;
}

/** A normalized step: a discriminated union on `kind`. */
export type StepDef = RunStepDef | LlmStepDef | AgentStepDef | HttpStepDef | WaitStepDef;

/** Steps the server executes itself (no runner, no runner slot). */
export const SERVER_STEP_KINDS: ReadonlySet<StepKind> = new Set(["llm", "http", "wait"]);

export interface WorkflowDef {
  name: string;
  description?: string;
  inputs: Record<string, InputSpec>;
  concurrency?: string;
  steps: StepDef[];
  teardown: StepDef[];
  outputs: Record<string, string>;
}

// A record key named `__proto__` would set the object's prototype instead of adding an entry (silently dropping
// it), and `constructor`/`prototype` read inherited members in code that indexes by name: none is a name here.
const identifier = (what: string) =>
  z
    .string()
    .max(MAX_IDENTIFIER_LENGTH, { error: `${what} must be at most ${MAX_IDENTIFIER_LENGTH} characters long`, abort: true })
    .regex(IDENTIFIER, {
      error: (iss) => `${what} ${JSON.stringify(iss.input)} must start with a letter or _ and contain only letters, digits, _ and -`,
      abort: true,
    })
    .refine((name) => !PROTOTYPE_KEYS.has(name), { error: (iss) => `${what} ${JSON.stringify(iss.input)} is reserved; choose another name` });

const envName = z
  .string()
  .max(128, { error: "env names must be at most 128 characters long", abort: true })
  .regex(ENV_NAME, { error: (iss) => `env name ${JSON.stringify(iss.input)} must start with a letter or _ and contain only letters, digits and _` });

const durationSchema = z
  .union([z.number(), z.string()], { error: `must be a duration; ${DURATION_HINT}` })
  .superRefine((value, ctx) => {
    if (parseDuration(value) === null) fail(ctx, "bad_duration", `bad duration ${JSON.stringify(value)}; ${DURATION_HINT}`);
  });

const scalarSchema = z.union([z.string(), z.number(), z.boolean()], { error: "must be a string, number or boolean" });

/** Fields of an input declaration. */
export const inputSpecShape = {
  type: z.enum(["string", "number", "boolean"], {
    error: (iss) => `must be string, number or boolean, got ${JSON.stringify(iss.input)}`,
  }),
  default: scalarSchema.optional(),
  required: z.boolean().optional(),
  description: z.string().optional(),
};

/** An input declaration; its default must match its type. */
export const InputSpecSchema = z.strictObject(inputSpecShape).superRefine((spec, ctx) => {
  if (spec.default !== undefined && typeof spec.default !== spec.type) {
    fail(
      ctx,
      "wrong_type",
      `default ${JSON.stringify(spec.default)} is a ${typeof spec.default} but the input has type ${spec.type}; change the default or the type`,
      ["default"],
    );
  }
});

const RETRY_RANGE = "must be a whole number from 0 to 10 (extra attempts after the first)";

/** Fields of `retry:`. */
export const retryShape = {
  max: z
    .number()
    .int({ error: RETRY_RANGE })
    .min(0, { error: RETRY_RANGE })
    .max(10, { error: RETRY_RANGE })
    .optional(),
  backoff: durationSchema.optional(),
};

/** Fields of `llm:`. */
export const llmShape = {
  model: z
    .string({ error: "must be a model as provider:model, e.g. anthropic:claude-sonnet-4-5" })
    .superRefine((value, ctx) => {
      const problem = modelSpecProblem(value);
      if (problem) fail(ctx, "bad_value", `model ${JSON.stringify(value)} ${problem}`);
    })
    .optional(),
  prompt: z.string().min(1, { error: "must not be empty" }),
  schema: z
    .record(z.string(), z.unknown(), { error: "must be a JSON Schema mapping such as { type: object, properties: { ... } }" })
    .superRefine((value, ctx) => {
      if (value.type !== "object") {
        fail(ctx, "bad_value", "schema must have `type: object`: its properties become the step's outputs", ["type"]);
      } else if (value.properties !== undefined && (typeof value.properties !== "object" || value.properties === null || Array.isArray(value.properties))) {
        fail(ctx, "wrong_type", "schema properties must be a mapping of field name to JSON Schema", ["properties"]);
      }
    })
    .optional(),
};

/** Fields of a step as written in YAML; the step-kind keys (`run`, `llm`, `agent`) are all optional here. */
export const stepShape = {
  id: identifier("step id"),
  name: z.string().max(1000, { error: "must be at most 1000 characters long" }).optional(),
  needs: z.union([z.string(), z.array(z.string())], { error: "must be a step id or a list of step ids" }).optional(),
  if: z.union([z.string(), z.boolean()], { error: "must be an expression such as ${{ success() }}" }).optional(),
  env: z.record(envName, scalarSchema).optional(),
  timeout: durationSchema.optional(),
  retry: z.strictObject(retryShape).optional(),
  outputs: z.array(identifier("output name")).optional(),
  workingDirectory: workingDirectorySchema.optional(),
  "working-directory": workingDirectorySchema.optional(),
  network: z.boolean({ error: "must be true or false" }).optional(),
  run: z.string().optional(),
  llm: z.strictObject(llmShape).optional(),
  agent: z.strictObject(agentShape).optional(),
  http: z.strictObject(httpShape).optional(),
  wait: z.strictObject(waitShape).optional(),
};

/** A step as written; refinements enforce exactly one step kind. */
export const StepDocumentSchema = z.strictObject(stepShape).superRefine((step, ctx) => {
  const kinds = STEP_KINDS.filter((kind) => step[kind] !== undefined);
  if (kinds.length === 0) {
    fail(ctx, "missing_field", "a step needs `run` (the shell script to execute), `llm` (a model call), `agent` (a coding agent), `http` (an API call) or `wait` (for an operation to end)");
  } else if (kinds.length > 1) {
    fail(ctx, "wrong_type", `a step has exactly one of ${STEP_KINDS.map((k) => `\`${k}\``).join(", ")}; split it into two steps`);
  }
  if (step.agent !== undefined) checkAgent(step.agent, ctx);
  if (step.network !== undefined && step.llm !== undefined) {
    fail(ctx, "not_applicable", "network applies to steps a runner executes (run, agent); an llm step runs on the server", ["network"]);
  }
  if (step.timeout !== undefined && parseDuration(step.timeout) === 0) {
    fail(ctx, "bad_duration", `timeout must be longer than zero; ${DURATION_HINT}`, ["timeout"]);
  }
  if (step.workingDirectory !== undefined && step["working-directory"] !== undefined) {
    fail(ctx, "duplicate_field", "give either workingDirectory or working-directory, not both", ["working-directory"]);
  }
  if (step.llm !== undefined) checkLlmStepFields(step, ctx);
  if (step.http !== undefined) checkApiStepFields("http", step, ctx);
  if (step.wait !== undefined) checkApiStepFields("wait", step, ctx);
});

/** Top-level fields of a workflow document. */
export const workflowShape = {
  name: z.string().min(1, { error: "must not be empty" }).max(200, { error: "must be at most 200 characters long" }),
  description: z.string().optional(),
  inputs: z.record(identifier("input name"), InputSpecSchema).optional(),
  concurrency: z.string().optional(),
  steps: z.array(StepDocumentSchema).min(1, { error: "a workflow needs at least one step" }),
  teardown: z.array(StepDocumentSchema).optional(),
  outputs: z.record(identifier("output name"), z.string()).optional(),
};

/** The YAML document as written (before normalization); also the source of the JSON Schema. */
export const WorkflowDocumentSchema = z.strictObject(workflowShape);

export type StepDocument = z.infer<typeof StepDocumentSchema>;
export type WorkflowDocument = z.infer<typeof WorkflowDocumentSchema>;

/** Allowed keys per kind of mapping, for "did you mean" suggestions. */
export const ALLOWED_KEYS = {
  workflow: Object.keys(workflowShape),
  input: Object.keys(inputSpecShape),
  step: Object.keys(stepShape),
  retry: Object.keys(retryShape),
  llm: Object.keys(llmShape),
  agent: Object.keys(agentShape),
  http: Object.keys(httpShape),
  wait: Object.keys(waitShape),
} as const;

/** Converts a validated step document into the normalized StepDef (durations in ms, arrays, strings). */
export function normalizeStep(step: StepDocument): StepDef {
  // Durations were validated by the schema, so parseDuration cannot return null here.
  const ms = (value: number | string | undefined, fallback: number): number =>
    value === undefined ? fallback : (parseDuration(value) ?? fallback);
  const common: StepCommon = {
    id: step.id,
    needs: step.needs === undefined ? [] : typeof step.needs === "string" ? [step.needs] : [...step.needs],
    env: Object.fromEntries(Object.entries(step.env ?? {}).map(([key, value]) => [key, String(value)])),
    retry: { max: step.retry?.max ?? 0, backoffMs: ms(step.retry?.backoff, 1000) },
  };
  let out: StepDef;
  if (step.llm !== undefined) {
    const llm: LlmCall = { prompt: step.llm.prompt };
    if (step.llm.model !== undefined) llm.model = step.llm.model;
    if (step.llm.schema !== undefined) llm.schema = step.llm.schema;
    out = { ...common, kind: "llm", llm };
  } else if (step.agent !== undefined) {
    const a = step.agent;
    const agent: AgentCall = { executor: a.executor ?? "builtin", prompt: a.prompt };
    if (a.model !== undefined) agent.model = a.model;
    if (a.command !== undefined) agent.command = a.command;
    if (a.max_turns !== undefined) agent.maxTurns = a.max_turns;
    if (a.budget_usd !== undefined) agent.budgetUsd = a.budget_usd;
    out = { ...common, kind: "agent", agent };
  } else if (step.http !== undefined) {
    out = { ...common, kind: "http", http: normalizeHttp(step.http) };
  } else if (step.wait !== undefined) {
    out = { ...common, kind: "wait", wait: normalizeWait(step.wait) };
  } else {
    out = { ...common, kind: "run", run: step.run ?? "" };
  }
  if (step.name !== undefined) out.name = step.name;
  if (step.if !== undefined) out.if = String(step.if);
  if (step.timeout !== undefined) out.timeoutMs = ms(step.timeout, 0);
  if (step.outputs !== undefined) out.outputs = [...step.outputs];
  const workingDirectory = step.workingDirectory ?? step["working-directory"];
  if (workingDirectory !== undefined) out.workingDirectory = workingDirectory;
  if (step.network !== undefined) out.network = step.network;
  return out;
}

/** Converts a validated workflow document into the normalized WorkflowDef. */
export function normalizeWorkflow(doc: WorkflowDocument): WorkflowDef {
  const out: WorkflowDef = {
    name: doc.name,
    inputs: { ...doc.inputs },
    steps: doc.steps.map(normalizeStep),
    teardown: (doc.teardown ?? []).map(normalizeStep),
    outputs: { ...doc.outputs },
  };
  if (doc.description !== undefined) out.description = doc.description;
  if (doc.concurrency !== undefined) out.concurrency = doc.concurrency;
  return out;
}

/** Validates and normalizes in one go; parse.ts uses the two halves separately to attach source positions. */
export const WorkflowSchema = WorkflowDocumentSchema.transform(normalizeWorkflow);
