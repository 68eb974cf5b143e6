import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { kickDispatch } from "../../jobs/dispatch.ts";
import { assertJobModelKeys } from "../../models/keys.ts";
import { KINDS } from "../../engine/kinds.ts";
import { createJob, getJob, listJobs, moveJob, queuesView, setQueuePaused } from "../../jobs/queue.ts";
import { JobInput, JobMove, JobQueue, JobStatus } from "../../jobs/schemas.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, IdParam, jsonContent } from "../schemas.ts";

export const JobSchema = z
  .object({
    id: z.string(),
    projectId: z.string(),
    prompt: z.string(),
    executor: z.object({ type: z.string() }),
    status: JobStatus,
    queue: JobQueue,
    position: z.number().int().nullable(),
    stage: z.string().nullable(),
    branch: z.string().nullable(),
    prUrl: z.string().nullable(),
    commit: z.string().nullable(),
    error: z.string().nullable(),
    attempts: z.number().int(),
    runnerId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Job");

const QueueParam = z.object({ queue: JobQueue.openapi({ param: { name: "queue", in: "path" } }) });

/** /jobs and /queues: coding-agent jobs in the rework and backlog queues. */
export function jobRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  const kick = () => void kickDispatch(deps).catch((err: Error) => deps.log.warn({ err: err.message }, "job dispatch failed"));

  app.openapi(
    createRoute({
      method: "post",
      path: "/jobs",
      summary: "Queue a coding-agent job",
      request: { body: { required: true, content: { "application/json": { schema: JobInput } } } },
      responses: { 201: jsonContent(JobSchema, "The queued job"), ...errorResponses(400, 401, 413, 422) },
    }),
    async (c) => {
      const input = c.req.valid("json");
      await assertJobModelKeys(deps.pool, deps.secrets, c.get("principal").workspaceId, input);
      const job = await createJob(deps.pool, c.get("principal").workspaceId, input);
      kick();
      return c.json(job, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/jobs",
      summary: "Jobs: running first, then waiting ones by queue and position, then the rest",
      request: { query: z.object({ status: JobStatus.optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }) },
      responses: { 200: jsonContent(z.object({ jobs: z.array(JobSchema) }), "Jobs"), ...errorResponses(400, 401) },
    }),
    async (c) => c.json({ jobs: await listJobs(deps.pool, c.get("principal").workspaceId, c.req.valid("query")) }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/jobs/{id}",
      summary: "A job: status, stage, branch, PR URL, error, attempts",
      request: { params: IdParam },
      responses: { 200: jsonContent(JobSchema, "The job"), ...errorResponses(401, 404) },
    }),
    async (c) => c.json(await getJob(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/jobs/{id}",
      summary: "Move a waiting job to another queue and/or position",
      request: { params: IdParam, body: { required: true, content: { "application/json": { schema: JobMove } } } },
      responses: { 200: jsonContent(JobSchema, "The moved job"), ...errorResponses(400, 401, 404, 409) },
    }),
    async (c) => c.json(await moveJob(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/jobs/{id}/cancel",
      summary: "Cancel a job: a waiting one leaves its queue; a running one has its agent killed and its workspace cleaned",
      request: { params: IdParam },
      responses: { 202: jsonContent(JobSchema, "Cancellation accepted"), ...errorResponses(401, 404, 409) },
    }),
    async (c) => c.json(await KINDS.job.cancel(deps, c.get("principal").workspaceId, c.req.valid("param").id), 202),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/queues",
      summary: "Per runner the job it executes; per queue whether it is paused and its waiting jobs in order",
      responses: { 200: jsonContent(z.record(z.string(), z.unknown()), "Queues"), ...errorResponses(401) },
    }),
    async (c) => c.json(await queuesView(deps.pool, c.get("principal").workspaceId), 200),
  );

  for (const action of ["pause", "resume"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/queues/{queue}/${action}`,
        summary: action === "pause" ? "Pause a queue: no job of it is started" : "Resume a queue",
        request: { params: QueueParam },
        responses: { 200: jsonContent(z.object({ queue: JobQueue, paused: z.boolean() }), "The queue"), ...errorResponses(400, 401) },
      }),
      async (c) => {
        const { queue } = c.req.valid("param");
        await setQueuePaused(deps.pool, c.get("principal").workspaceId, queue, action === "pause");
        if (action === "resume") kick();
        return c.json({ queue, paused: action === "pause" }, 200);
      },
    );
  }
}
