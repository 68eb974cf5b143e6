// POST /api/v1/task-artifacts?name=<name>: a task running in a sandbox uploads a build's output (a .tar.gz) with
// its task token, forwarded by the runner's server socket like the model endpoint. Like that endpoint it sits in
// front of the API's auth (which would refuse a task token) and has a limit of its own, checked while the body
// streams to disk, so a large upload never sits in memory.
import { Readable } from "node:stream";
import type { Hono } from "hono";
import { z } from "zod";
import type { Queryable } from "../../db/pool.ts";
import { ShipyardError } from "../../domain/errors.ts";
import { ARTIFACT_NAME, storeArtifact } from "../../previews/artifacts.ts";
import { taskHolder } from "../../tasks/store.ts";
import { bearerToken, type AppEnv } from "../auth.ts";
import type { TaskTokens } from "../task-tokens.ts";

export const TASK_ARTIFACTS_PATH = "/api/v1/task-artifacts";

const Query = z.object({ name: z.string().regex(ARTIFACT_NAME, "letters, digits, '.', '_' and '-' only, at most 100") });

/** What the upload endpoint needs. */
export interface TaskArtifactDeps {
  pool: Queryable;
  taskTokens: TaskTokens;
  dataDir: string;
  maxArtifactBytes: number;
}

/** Mount the upload endpoint on `app` (before the authenticated API). */
export function taskArtifactRoutes(deps: TaskArtifactDeps, app: Hono<AppEnv>): void {
  app.post(TASK_ARTIFACTS_PATH, async (c) => {
    const token = bearerToken(c.req.header("authorization"));
    const claims = token ? deps.taskTokens.verify(token) : null;
    if (!claims) throw new ShipyardError("unauthorized", "a task token (SHIPYARD_TASK_TOKEN) is required", 401);
    const holder = await taskHolder(deps.pool, claims.taskId);
    if (!holder || holder.dispatch !== claims.dispatch || holder.status !== "assigned") {
      throw new ShipyardError("task_not_running", `task ${claims.taskId} is not running (finished, cancelled or handed out again)`, 409);
    }
    const query = Query.safeParse({ name: c.req.query("name") });
    if (!query.success) throw new ShipyardError("invalid_request", `name: ${query.error.issues[0]?.message ?? "invalid"}`, 400);
    const tooLarge = () => {
      // The unread rest of the body is not drained: the client must not reuse this connection.
      c.header("connection", "close");
      return new ShipyardError("payload_too_large", `artifact is larger than ${deps.maxArtifactBytes} bytes`, 413);
    };
    const declared = Number(c.req.header("content-length") ?? "NaN");
    if (Number.isFinite(declared) && declared > deps.maxArtifactBytes) throw tooLarge();
    const body = c.req.raw.body;
    if (!body) throw new ShipyardError("invalid_artifact", "the body is empty: send the .tar.gz", 400);
    const stored = await storeArtifact(
      { dataDir: deps.dataDir, taskId: claims.taskId, name: query.data.name, maxBytes: deps.maxArtifactBytes },
      Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>),
    ).catch((err: unknown) => {
      throw err instanceof ShipyardError && err.status === 413 ? tooLarge() : err;
    });
    return c.json({ name: query.data.name, bytes: stored.bytes }, 201);
  });
}
