import { inTransaction, type Pool, type Queryable } from "../db/pool.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import { appendEvents } from "../events/store.ts";
import { insertOperation } from "../operations/store.ts";
import { projectExists } from "../projects/store.ts";
import { runnerNamesOfWorkspace } from "../tasks/runner-store.ts";
import {
  activeJobsOf,
  insertJob,
  jobOfWorkspace,
  listPositionedJobs,
  lockJob,
  lockQueue,
  positionedJob,
  positionedJobOf,
  queuePauses,
  setJobQueue,
  storePositions,
  storeQueuePaused,
  waitingJobIds,
  type JobRecord,
} from "./store.ts";
import type { JobInput, JobMove, JobQueue, JobStatus } from "./schemas.ts";

/** A job as the API shows it. */
export interface JobView {
  id: string;
  projectId: string;
  prompt: string;
  executor: { type: string };
  status: JobStatus;
  queue: JobQueue;
  position: number | null;
  stage: string | null;
  branch: string | null;
  prUrl: string | null;
  commit: string | null;
  error: string | null;
  attempts: number;
  runnerId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A job row as the engine needs it. */
export type { JobRecord } from "./store.ts";

const toView = (r: JobRecord): JobView => ({
  id: r.id,
  projectId: r.project_id,
  prompt: r.prompt,
  // A patch executor's diff can be large; the view says which executor, not its payload.
  executor: { type: r.executor.type },
  status: r.status,
  queue: r.queue,
  position: r.queue_position ?? null,
  stage: r.stage,
  branch: r.branch,
  prUrl: r.pr_url,
  commit: r.commit_sha,
  error: r.error,
  attempts: r.attempts,
  runnerId: r.runner_id,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** Store a queue's waiting jobs as 1..n in the given (or current) order, after a move. */
async function renumber(db: Queryable, workspaceId: string, queue: JobQueue, order?: string[]): Promise<void> {
  await storePositions(db, order ?? (await waitingJobIds(db, workspaceId, queue)));
}

/** Queue a job at the end of its queue. */
export async function createJob(pool: Pool, workspaceId: string, input: JobInput): Promise<JobView> {
  return inTransaction(pool, async (client) => {
    if (!(await projectExists(client, workspaceId, input.projectId))) throw new ShipyardError("unknown_project", `project ${input.projectId} was not found in this workspace`, 422);
    await lockQueue(client, workspaceId, input.queue);
    const id = newId("job");
    const title = input.prompt.split("\n")[0]!.slice(0, 200);
    await insertOperation(client, { id, workspaceId, kind: "job", title });
    await insertJob(client, { id, workspaceId, projectId: input.projectId, prompt: input.prompt, executor: input.executor, queue: input.queue, branch: `shipyard/job-${id}` });
    const view = (await positionedJob(client, id))!;
    await appendEvents(client, id, [{ type: "status", payload: { status: "queued", queue: input.queue, position: view.queue_position }, dedupeKey: "status:queued:0" }]);
    return toView(view);
  });
}

/** A job of this workspace, or 404. */
export async function getJob(db: Queryable, workspaceId: string, id: string): Promise<JobView> {
  const job = await positionedJobOf(db, workspaceId, id);
  if (!job) throw notFound("job", id);
  return toView(job);
}

/** Jobs of a workspace: waiting ones by queue and position first, then the rest newest first. */
export async function listJobs(db: Queryable, workspaceId: string, opts: { status?: JobStatus; limit: number }): Promise<JobView[]> {
  return (await listPositionedJobs(db, workspaceId, opts)).map(toView);
}

/** Move a waiting job to another queue and/or position; both queues stay numbered 1..n. */
export async function moveJob(pool: Pool, workspaceId: string, id: string, move: JobMove): Promise<JobView> {
  return inTransaction(pool, async (client) => {
    const job = await jobOfWorkspace(client, workspaceId, id);
    if (!job) throw notFound("job", id);
    const target = move.queue ?? job.queue;
    for (const q of [...new Set<JobQueue>([job.queue, target])].sort()) await lockQueue(client, workspaceId, q);
    const fresh = (await lockJob(client, id))!;
    if (fresh.status !== "queued") throw new ShipyardError("job_not_queued", `job ${id} is ${fresh.status}; only queued jobs can be moved`, 409);
    const others = await waitingJobIds(client, workspaceId, target, id);
    const at = Math.min(Math.max((move.position ?? others.length + 1) - 1, 0), others.length);
    others.splice(at, 0, id);
    await setJobQueue(client, id, target);
    await renumber(client, workspaceId, target, others);
    if (target !== fresh.queue) await renumber(client, workspaceId, fresh.queue);
    await appendEvents(client, id, [{ type: "status", payload: { status: "queued", queue: target, position: at + 1, moved: true } }]);
    return toView((await positionedJob(client, id))!);
  });
}

/** Pause or resume a queue: a paused queue keeps its jobs but none is started. */
export async function setQueuePaused(pool: Pool, workspaceId: string, queue: JobQueue, paused: boolean): Promise<void> {
  await storeQueuePaused(pool, workspaceId, queue, paused);
}

/** Per runner: what it executes; per queue: paused or not and the waiting jobs in order. */
export async function queuesView(db: Queryable, workspaceId: string) {
  const runners = await runnerNamesOfWorkspace(db, workspaceId);
  const { running, waiting } = await activeJobsOf(db, workspaceId);
  const paused = await queuePauses(db, workspaceId);
  const isPaused = (q: JobQueue) => paused.some((p) => p.queue === q && p.paused);
  return {
    runners: runners.map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      executing: running.filter((j) => j.runner_id === r.id).map(toView)[0] ?? null,
    })),
    queues: (["rework", "backlog"] as const).map((q) => ({
      queue: q,
      paused: isPaused(q),
      jobs: waiting.filter((j) => j.queue === q).map(toView),
    })),
  };
}
