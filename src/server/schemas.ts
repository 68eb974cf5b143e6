import { z } from "@hono/zod-openapi";
import { RunnerStatus, RunStatus, StepStatus } from "../domain/statuses.ts";
import { Sandbox } from "../runner/protocol.ts";
import { StoredEventSchema } from "../events/catalogue.ts";

/** Zod schemas of the HTTP API; the OpenAPI document is generated from them. */

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ example: "not_found" }),
    errors: z.unknown().optional(),
  })
  .openapi("Problem");

export const RunStatusSchema = RunStatus;
export const StepStatusSchema = StepStatus;

export const StepSchema = z
  .object({
    id: z.string(),
    phase: z.enum(["main", "teardown"]),
    needs: z.array(z.string()).openapi({ description: "The steps it waits for" }),
    status: StepStatusSchema,
    attempt: z.number().int(),
    outputs: z.record(z.string(), z.string()),
    exitCode: z.number().int().nullable(),
    error: z.string().nullable(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi("Step");

const RunFields = {
  id: z.string().openapi({ example: "run_01jd3k4m5n6p7q8r9s0t1v2w3x" }),
  workflow: z.string(),
  status: RunStatusSchema,
  inputs: z.record(z.string(), z.unknown()),
  outputs: z.record(z.string(), z.string()).nullable(),
  error: z.string().nullable(),
  concurrencyKey: z.string().nullable(),
  rerunOf: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
};

export const RunSummarySchema = z.object(RunFields).openapi("RunSummary");
export const RunSchema = z.object({ ...RunFields, steps: z.array(StepSchema) }).openapi("Run");

export const CreateRunSchema = z
  .object({
    workflow: z.string().min(1).max(256 * 1024).openapi({ description: "The workflow document (YAML text)" }),
    inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    file: z.string().max(500).optional().openapi({ description: "File name used in validation messages" }),
  })
  .strict()
  .openapi("CreateRun");

export const ValidateSchema = z
  .object({ workflow: z.string().max(256 * 1024), file: z.string().max(500).optional() })
  .strict()
  .openapi("ValidateWorkflow");

export const IssueSchema = z
  .object({ file: z.string(), line: z.number().int(), column: z.number().int(), path: z.string(), code: z.string(), message: z.string() })
  .openapi("WorkflowIssue");

export const ValidationResultSchema = z
  .object({ valid: z.boolean(), errors: z.array(IssueSchema), workflow: z.unknown().optional() })
  .openapi("ValidationResult");

export const WorkspaceCreateSchema = z
  .object({ name: z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "letters, digits, '.', '_' and '-'") })
  .strict()
  .openapi("CreateWorkspace");

export const WorkspaceCreatedSchema = z
  .object({ id: z.string(), name: z.string(), token: z.string().openapi({ description: "Shown once; store it" }) })
  .openapi("WorkspaceCreated");

export const RunnerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    labels: z.array(z.string()),
    slots: z.number().int(),
    status: RunnerStatus,
    shared: z.boolean(),
    // Made again with this module's zod, which carries `.openapi()` (see EventSchema).
    sandbox: z.enum(Sandbox.options).openapi({ description: "`bwrap`: its steps run in a bubblewrap sandbox; `none`: unsandboxed" }),
    activeTasks: z.number().int(),
    connectedAt: z.string().nullable(),
    lastSeenAt: z.string().nullable(),
  })
  .openapi("Runner");

/**
 * An event of an operation's log: the event catalogue's union (src/events/catalogue.ts), one variant per type.
 * Made again with this module's zod: the catalogue's schemas may be built before @hono/zod-openapi extends zod,
 * and then lack `.openapi()`.
 */
export const EventSchema = z.discriminatedUnion("type", StoredEventSchema.options).openapi("Event");

export const IdParam = z.object({ id: z.string().min(1).max(100).openapi({ param: { name: "id", in: "path" } }) });

/** A JSON response entry for a route's `responses`. */
export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

/** Standard error responses for the OpenAPI document; an authenticated route (401) may also refuse a role (403, see policy.ts). */
export const errorResponses = (...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 422)[]) =>
  Object.fromEntries(
    [...new Set(statuses.includes(401) ? [...statuses, 403] : statuses)].map((s) => [
      s,
      { description: "Problem", content: { "application/problem+json": { schema: ProblemSchema } } },
    ]),
  );

/** An instant in a query (`2026-12-01T10:00:00Z`, with an offset) or a UTC date (`2026-12-01`, its midnight), as a Date. */
export const InstantQuery = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: "an ISO 8601 time such as 2026-12-01T10:00:00Z, or a date such as 2026-12-01" })
  .transform((t) => new Date(t))
  .openapi({ type: "string", example: "2026-12-01T10:00:00Z" });
