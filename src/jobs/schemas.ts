// zod as extended by @hono/zod-openapi: these schemas are also the HTTP API's, and must carry `.openapi()`
// whichever module happens to load them first.
import { z } from "@hono/zod-openapi";
import { assertBranchName } from "../git/shell.ts";
import { MAX_AGENT_BUDGET_USD, MAX_AGENT_TURNS, type AgentExecutorType } from "../models/executors.ts";
import { MODEL_NAME, ModelSpec } from "../models/model-spec.ts";

/**
 * Text a job carries to the database and into its agent's environment: PostgreSQL refuses NUL (and an
 * environment variable cannot hold one), and an unpaired surrogate would be stored as U+FFFD, not as sent.
 */
const jobText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !s.includes("\0") && !/\p{Cs}/u.test(s), "must be well-formed Unicode text without NUL characters");

/** Turn a throwing check (shared with the script generators) into a zod issue. */
function refineWith(check: (value: string) => void) {
  return (value: string, ctx: z.RefinementCtx) => {
    try {
      check(value);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
    }
  };
}

/** A `provider:model` spec (src/models/model-spec.ts). */
export { ModelSpec } from "../models/model-spec.ts";

/** An agent's own spending limit in USD (on top of the operation's and the workspace's budgets). */
const BudgetUsd = z.number().positive().max(MAX_AGENT_BUDGET_USD);
const MaxTurns = z.number().int().min(1).max(MAX_AGENT_TURNS);

/** How a job's agent runs. */
export const Executor = z.discriminatedUnion("type", [
  z.object({ type: z.literal("command"), command: jobText(10_000) }).strict(),
  z.object({ type: z.literal("patch"), diff: jobText(2 * 1024 * 1024) }).strict(),
  /** Claude Code on the runner (`claude -p`), which must have `claude` on its PATH and be signed in. */
  z
    .object({
      type: z.literal("claude-code"),
      model: z.string().min(1).max(200).regex(MODEL_NAME, "a model name or alias").optional(),
      maxTurns: MaxTurns.optional(),
      budgetUsd: BudgetUsd.optional(),
    })
    .strict(),
  /** The built-in agent (src/agents/builtin) on the runner, on a `provider:model` spec (e.g. `replay:fix`). */
  z
    .object({
      type: z.literal("builtin"),
      /** Default: the project's default model, else the workspace's. */
      model: ModelSpec.optional(),
      maxTurns: MaxTurns.optional(),
      budgetUsd: BudgetUsd.optional(),
    })
    .strict(),
]);
export type Executor = z.infer<typeof Executor>;

// The agents among them are exactly the ones src/models/executors.ts names (the jobs add their own `patch`).
type JobAgents = Exclude<Executor["type"], "patch">;
const _sameAgents: [JobAgents] extends [AgentExecutorType] ? ([AgentExecutorType] extends [JobAgents] ? true : never) : never = true;

export const JobQueue = z.enum(["rework", "backlog"]);
export type JobQueue = z.infer<typeof JobQueue>;

export { JobStatus } from "../domain/statuses.ts";

/** The stages of a job, in order; each is one checkpointed step of the job workflow. */
export const STAGES = ["credentials", "prepare", "agent", "verify", "push", "pull_request", "cleanup"] as const;
export type Stage = (typeof STAGES)[number];

export const ProjectInput = z
  .object({
    name: z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "letters, digits, '.', '_' and '-'"),
    /**
     * Which locations the server accepts is its URL policy's call (src/projects/urls.ts): a 422, not a 400.
     * Optional with a template: Shipyard then keeps the repository itself, under its data dir.
     */
    repo: jobText(2000).optional(),
    /** Create the project from this template of GET /templates: its files become the first commit. */
    template: z.string().min(1).max(50).regex(/^[a-z0-9][a-z0-9-]*$/, "a template name of GET /templates").optional(),
    defaultBranch: jobText(250).superRefine(refineWith((b) => assertBranchName(b, "default branch"))).default("main"),
    verify: z.array(jobText(2000)).max(50).default([]),
    onVerifyFailure: z.enum(["fail", "rework"]).default("fail"),
    maxAttempts: z.number().int().min(1).max(20).default(3),
    /** Git credentials (e.g. a token): kept encrypted, never returned. */
    credentials: jobText(10_000).optional(),
    github: z
      .object({ owner: z.string().min(1).max(100), repo: z.string().min(1).max(100), apiUrl: z.string().url().optional() })
      .strict()
      .optional(),
    /** The model of this project's agent jobs that name none (before the workspace's default). */
    defaultModel: ModelSpec.optional(),
    /** The agent stage's sandbox has network (Claude Code calls Anthropic); the git stages always do. */
    agentNetwork: z.boolean().default(true),
    /** The coding agent of this project's builds: the built-in one (with the project's or workspace's model) or Claude Code. */
    buildAgent: z.enum(["builtin", "claude-code"]).default("builtin"),
  })
  .strict()
  .refine((p) => p.repo !== undefined || p.template !== undefined, { message: "give a repo, a template, or both (the template is then committed to the repo)", path: ["repo"] });
export type ProjectInput = z.infer<typeof ProjectInput>;
/** A project as stored: its repository is known (given, or Shipyard's own). */
export type ProjectRecordInput = Omit<ProjectInput, "repo" | "template"> & { repo: string };

export const JobInput = z
  .object({
    projectId: z.string().min(1).max(100),
    prompt: jobText(100_000),
    queue: JobQueue.default("backlog"),
    executor: Executor,
  })
  .strict();
export type JobInput = z.infer<typeof JobInput>;

export const JobMove = z
  .object({ queue: JobQueue.optional(), position: z.number().int().min(1).optional() })
  .strict()
  .refine((m) => m.queue !== undefined || m.position !== undefined, "give a queue, a position or both");
export type JobMove = z.infer<typeof JobMove>;
