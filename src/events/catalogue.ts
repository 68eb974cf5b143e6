// The event catalogue: every event type an operation's log holds, with its payload, as one zod discriminated
// union. Appends are typed against it (EventInput), the API's `Event` schema and the CLI's renderer are derived
// from it, and so will the UI's types be. A new event type, or a new payload field, is added here first.
import { z } from "zod";
import { AgentEvent } from "../agents/events.ts";
import { FinalStatus, JobStatus, RunStatus, StepStatus } from "../domain/statuses.ts";

/** Which step (and attempt) of the operation an event is about. */
const StepRef = { stepId: z.string(), attempt: z.number().int() };

/** A status change of the operation: a run's, a job's or a build's. */
const StatusPayload = z.object({
  status: z.union([RunStatus, JobStatus, z.literal("cancelling")]),
  /** A run's first event: its workflow's name and its steps in order. */
  workflow: z.string().optional(),
  steps: z.array(z.object({ id: z.string(), phase: z.enum(["main", "teardown"]) })).optional(),
  /** Why: a job sent back to its queue, a run ended because its workflow stopped. */
  reason: z.string().optional(),
  /** A queued job's queue and place in it (null: not placed yet). */
  queue: z.enum(["rework", "backlog"]).optional(),
  position: z.number().int().nullable().optional(),
  /** The job was moved by a user. */
  moved: z.boolean().optional(),
  /** The job went back to the front of its queue (its runner went away). */
  front: z.boolean().optional(),
  /** The runner a job's attempt runs on, and that attempt. */
  runnerId: z.string().optional(),
  attempt: z.number().int().optional(),
});

/** A step's attempt changed status (`retrying` and `lost` say a next attempt follows). */
const StepPayload = z.object({
  ...StepRef,
  status: z.union([StepStatus, z.enum(["retrying", "lost"])]),
  /** The runner it runs on (`server` for an llm step). */
  runner: z.string().optional(),
  outputs: z.record(z.string(), z.string()).optional(),
  exitCode: z.number().int().nullable().optional(),
  durationMs: z.number().optional(),
  error: z.string().optional(),
  /** Why it was skipped, lost or queued again. */
  reason: z.string().optional(),
  nextAttempt: z.number().int().optional(),
  /** The backoff before a retry. */
  delayMs: z.number().optional(),
});

/** A stage of a job's attempt started or ended (an agent stage with the usage it reported). */
const StagePayload = z.object({
  stage: z.string(),
  status: z.enum(["started", "succeeded", "failed"]),
  attempt: z.number().int(),
  exitCode: z.number().int().nullable().optional(),
  error: z.string().optional(),
  inputTokens: z.number().optional(),
  outputTokens: z.number().optional(),
  costUsd: z.number().optional(),
  prUrl: z.string().nullable().optional(),
  branch: z.string().optional(),
  commit: z.string().nullable().optional(),
});

/** A line a step printed (`system`: a line the server wrote about the step). */
const LogPayload = z.object({
  stepId: z.string(),
  attempt: z.number().int().optional(),
  stream: z.enum(["stdout", "stderr", "system"]),
  level: z.enum(["info", "warn"]).optional(),
  line: z.string(),
  /** When the runner read it. */
  time: z.string().optional(),
});

/** The operation ended; always its last event. */
const CompletePayload = z.object({
  status: FinalStatus,
  error: z.string().nullable(),
  /** A run's outputs. */
  outputs: z.record(z.string(), z.string()).optional(),
  /** A job's pull request, branch, commit and attempts. */
  prUrl: z.string().nullable().optional(),
  branch: z.string().nullable().optional(),
  commit: z.string().nullable().optional(),
  attempts: z.number().int().optional(),
  /** A build's published preview (a publish's: the target environment's URL and the version it shows). */
  previewUrl: z.string().nullable().optional(),
  version: z.number().int().nullable().optional(),
  /** A deployment's URL (execute mode) and pull request. */
  deploymentUrl: z.string().nullable().optional(),
});

/** The phases of a build, in order. */
/** A prompt build plans, implements, tests and deploys; a blueprint build writes its spec and designs (plans) from it instead of planning. */
export const BuildPhase = z.enum(["spec", "design", "plan", "implement", "test", "deploy"]);
export type BuildPhase = z.infer<typeof BuildPhase>;

/** The phases of a publish from one environment to another (src/publishes/): promote on the built-in host, record on Cloudflare Pages. */
export const PublishPhase = z.enum(["validate", "deploy", "verify", "promote", "record"]);
export type PublishPhase = z.infer<typeof PublishPhase>;

/** The steps of a deployment (src/deployments/), in order; generate mode commits, execute mode runs the tool and checks the URL. */
export const DeploymentPhase = z.enum(["validate", "prepare", "generate", "commit", "execute", "health_check"]);
export type DeploymentPhase = z.infer<typeof DeploymentPhase>;

/** A build's, a publish's or a deployment's phase began, ended, or failed (`attempt`: the test phase's try, counting fixes). */
const PhasePayload = z.object({
  phase: z.union([BuildPhase, PublishPhase, DeploymentPhase]),
  status: z.enum(["in_progress", "complete", "failed"]),
  attempt: z.number().int().optional(),
  error: z.string().optional(),
  /** What the phase did, in a line (`3 tasks`, `published version 4`). */
  message: z.string().optional(),
});

/** One task of a build's plan. */
export const PlanTask = z.object({
  title: z.string().min(1).max(200),
  description: z.string().max(4000),
});

/** The plan a build's model call made. */
const PlanPayload = z.object({ tasks: z.array(PlanTask) });

/** The coding agent began or finished one task of the plan (1-based `index` of `total`). */
const TaskPayload = z.object({
  index: z.number().int(),
  total: z.number().int(),
  title: z.string(),
  /** The agent's closing line (task_completed). */
  summary: z.string().optional(),
});

/** A file an operation produced (a build's preview screenshot), served at `url`. */
const ArtifactPayload = z.object({
  name: z.string(),
  contentType: z.string(),
  url: z.string(),
  /** What it shows: `preview` (the page the check loaded). */
  of: z.string().optional(),
});

/** The task a model call belongs to (stepId and attempt are null in events written before they were known). */
const CallRef = { stepId: z.string().nullable(), attempt: z.number().int().nullable(), taskId: z.string() };

/** One recorded model call. */
const UsagePayload = z.object({
  ...CallRef,
  provider: z.string(),
  model: z.string(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cachedTokens: z.number(),
  costUsd: z.number(),
  priced: z.boolean(),
  latencyMs: z.number(),
});

/** A model call refused before it reached the provider: the budget it would have passed. */
const BudgetExceededPayload = z.object({
  ...CallRef,
  model: z.string(),
  budget: z.enum(["step", "operation", "workspace_daily"]),
  spentUsd: z.number(),
  limitUsd: z.number(),
  estimatedCostUsd: z.number(),
});

// An agent event as stored: what the agent printed (src/agents/events.ts), with its step, attempt and time.
const [toolCall, toolResult, agentMessage] = AgentEvent.options;
const AgentRef = { ...StepRef, time: z.string() };

/** Every event type and the payload it carries. */
export const EVENT_PAYLOADS = {
  status: StatusPayload,
  step: StepPayload,
  stage: StagePayload,
  log: LogPayload,
  complete: CompletePayload,
  usage: UsagePayload,
  budget_exceeded: BudgetExceededPayload,
  tool_call: toolCall.omit({ type: true }).extend(AgentRef),
  tool_result: toolResult.omit({ type: true }).extend(AgentRef),
  agent_message: agentMessage.omit({ type: true }).extend(AgentRef),
  phase: PhasePayload,
  plan: PlanPayload,
  task_started: TaskPayload,
  task_completed: TaskPayload,
  artifact: ArtifactPayload,
} as const;

export type EventType = keyof typeof EVENT_PAYLOADS;
export const EVENT_TYPES = Object.keys(EVENT_PAYLOADS) as EventType[];

/** The payload of events of type `T`, as appended. */
export type EventPayload<T extends EventType> = z.input<(typeof EVENT_PAYLOADS)[T]>;

/** The fields every stored event has besides its type and payload. */
const Stored = { operationId: z.string(), seq: z.number().int(), time: z.string() };

const stored = <T extends EventType>(type: T) => z.object({ ...Stored, type: z.literal(type), payload: EVENT_PAYLOADS[type] });

/** An event as stored and served: numbered per operation, gap-free from 1. */
export const StoredEventSchema = z.discriminatedUnion("type", [
  stored("status"),
  stored("step"),
  stored("stage"),
  stored("log"),
  stored("complete"),
  stored("usage"),
  stored("budget_exceeded"),
  stored("tool_call"),
  stored("tool_result"),
  stored("agent_message"),
  stored("phase"),
  stored("plan"),
  stored("task_started"),
  stored("task_completed"),
  stored("artifact"),
]);
export type StoredEvent = z.output<typeof StoredEventSchema>;

// Every type of the catalogue is in the union above (a type added to EVENT_PAYLOADS only fails here).
type Unlisted = Exclude<EventType, StoredEvent["type"]>;
export const everyTypeListed: [Unlisted] extends [never] ? true : Unlisted = true;

/** An event as produced, to be appended to an operation's log. */
export type EventInput = {
  [T in EventType]: {
    type: T;
    payload: EventPayload<T>;
    /** Makes the append idempotent: a second event with the same key on the same operation is dropped. */
    dedupeKey?: string;
  };
}[EventType];
