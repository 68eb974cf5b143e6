// Webhook delivery on an engine of this process (DBOS on a fresh database) to real HTTP receivers on loopback
// that verify every request with the standardwebhooks package. Runs are driven by sending their workflow the
// result a runner would report; the retry schedule is shortened to 0, 0.2, 0.2 s.
import { LiveEndpoints } from "./live-endpoints.ts";
import { RunWakes } from "../runs/wake.ts";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onlineRunner, pendingRun, workspace } from "../../test/helpers/core.ts";
import { freshDatabase } from "../../test/helpers/database.ts";
import { waitFor } from "../../test/helpers/shipyard.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../test/helpers/webhook-receiver.ts";
import { migrate } from "../db/migrate.ts";
import { previewUrls } from "../previews/urls.ts";
import { createPool, type Pool } from "../db/pool.ts";
import { createEngine, stopEngine, type Engine } from "../engine/engine.ts";
import { createOutboundClient } from "../net/outbound-client.ts";
import { startRunWorkflow } from "../runs/service.ts";
import { SecretBox } from "../secrets/box.ts";
import { createSecretStore, type SecretStore } from "../secrets/store.ts";
import { createJob } from "../jobs/queue.ts";
import { emitJobFinished } from "../jobs/webhook.ts";
import type { TaskResult } from "../tasks/messages.ts";
import type { WebhookSubscription } from "./events.ts";
import { createWebhook, emitWebhookEvent, listWebhookDeliveries, listWebhooks, redeliverWebhook, type DeliveryView, type WebhookDeps } from "./service.ts";

let pool: Pool;
let engine: Engine;
let secrets: SecretStore;
let deps: WebhookDeps;
let ws: string;
const receivers: WebhookReceiver[] = [];
// Everything the engine logs (DBOS included), to look for secrets in.
let logText = "";

beforeAll(async () => {
  const url = await freshDatabase("webhooks");
  pool = createPool(url, 10);
  await migrate(pool);
  secrets = createSecretStore(pool, new SecretBox(randomBytes(32)));
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((logText += chunk.toString("utf8")), done()) });
  // Loopback receivers are allowed the way the other outbound tests allow their fakes.
  const outbound = createOutboundClient({ allowPrivate: true, allowedHttpHosts: ["127.0.0.1"], allowLocalRepos: true });
  engine = createEngine({
    wakes: new RunWakes(pool),
    databaseUrl: url,
    pool,
    log: pino({ level: "debug" }, sink),
    executorId: `test-${randomBytes(4).toString("hex")}`,
    secrets,
    jobs: { onePerWorkspace: false, stuckAfterMs: 600_000, recovery: "requeue" },
    outbound,
    githubApiUrl: "https://api.github.com",
    webhookRetrySchedule: [0, 0.2, 0.2],
    dataDir: os.tmpdir(),
    previewUrls: previewUrls({ baseDomain: "localhost", port: 7421 }),
  });
  await engine.start();
  deps = { pool, secrets, outbound, workflows: engine.workflows };
  ws = await workspace(pool);
  await onlineRunner(pool, ws, 16);
});
afterAll(async () => {
  await stopEngine();
  await pool?.end();
  await Promise.all(receivers.map((r) => r.close()));
});

/** A receiver and an endpoint of `workspaceId` pointing at it, subscribed to `events`. */
async function endpoint(events: WebhookSubscription[], workspaceId = ws): Promise<{ id: string; secret: string; receiver: WebhookReceiver }> {
  const receiver = await startWebhookReceiver();
  receivers.push(receiver);
  const created = await createWebhook(deps, workspaceId, { url: receiver.url, events });
  receiver.secret = created.secret;
  return { id: created.id, secret: created.secret, receiver };
}

/** The endpoint's deliveries once every one has settled. */
async function settled(endpointId: string, n = 1, workspaceId = ws): Promise<DeliveryView[]> {
  return waitFor(async () => {
    const list = await listWebhookDeliveries(pool, workspaceId, endpointId, 50);
    return list.length >= n && list.every((d) => d.status !== "pending") ? list : null;
  }, 20_000, `${n} settled deliveries of ${endpointId}`);
}

const ONE_STEP = `
name: greet
steps:
  - id: a
    run: echo hi
    outputs: [greeting]
outputs:
  said: \${{ steps.a.outputs.greeting }}
`;

/** Run ONE_STEP on the run workflow and report its step's result as the runner would. */
async function finishRun(status: TaskResult["status"], workspaceId = ws): Promise<string> {
  const runId = await pendingRun(pool, workspaceId, ONE_STEP);
  await startRunWorkflow(engine.workflows, workspaceId, runId, null);
  const task = await waitFor(async () => (await pool.query("select id, dispatch from tasks where operation_id = $1 and status = 'assigned'", [runId])).rows[0], 20_000, "the step's task");
  const result: TaskResult = { taskId: task.id, dispatch: task.dispatch, status, exitCode: status === "succeeded" ? 0 : 3, outputs: status === "succeeded" ? { greeting: "hi" } : {}, durationMs: 5 };
  await engine.workflows.send(runId, { type: "result", ...result }, `${task.id}:${task.dispatch}`);
  return runId;
}

describe("webhook delivery", () => {
  it("delivers one signed run.completed when a run succeeds; emitting the event again sends nothing new", async () => {
    const e = await endpoint(["run.completed", "run.failed"]);
    const runId = await finishRun("succeeded");
    const [delivery] = await settled(e.id);
    expect(delivery).toMatchObject({ type: "run.completed", status: "delivered", round: 1, attempts: [{ attempt: 1, responseStatus: 200, error: null }] });
    expect(e.receiver.received).toHaveLength(1);
    const got = e.receiver.received[0]!;
    expect(got.id).toBe(delivery!.id);
    expect(got.id).toMatch(/^msg_/);
    expect(got.verified).toMatchObject({ type: "run.completed", data: { runId, workflow: "greet", status: "succeeded", outputs: { said: "hi" } } });
    expect(typeof got.verified!.timestamp).toBe("string");
    expect((got.verified!.data as { finishedAt: string | null }).finishedAt).not.toBeNull();

    // The same key again (a replayed workflow, a second emit): no new delivery, no second request.
    const again = await emitWebhookEvent(deps, { workspaceId: ws, type: "run.completed", key: `${runId}:finished`, data: {} });
    expect(again).toEqual([delivery!.id]);
    expect(await listWebhookDeliveries(pool, ws, e.id, 50)).toHaveLength(1);
    expect(e.receiver.received).toHaveLength(1);
  });

  it("delivers run.failed with the error when a run fails; an endpoint not subscribed to it gets nothing", async () => {
    const failed = await endpoint(["run.failed"]);
    const other = await endpoint(["job.completed", "build.completed"]);
    const runId = await finishRun("failed");
    const [delivery] = await settled(failed.id);
    expect(delivery).toMatchObject({ type: "run.failed", status: "delivered" });
    expect(failed.receiver.received[0]!.verified).toMatchObject({ type: "run.failed", data: { runId, status: "failed" } });
    expect(String((failed.receiver.received[0]!.verified!.data as { error: string }).error)).toContain("step a failed");
    // One step stored every delivery of the event: the other endpoint's absence is final.
    expect(await listWebhookDeliveries(pool, ws, other.id, 50)).toEqual([]);
    expect(other.receiver.received).toEqual([]);
  });

  it("delivers job.completed with the job's project, branch and PR; a job still running emits nothing", async () => {
    const e = await endpoint(["job.completed", "job.failed"]);
    await pool.query("insert into projects (id, workspace_id, name, repo, default_branch) values ('prj_hooks', $1, 'p', 'https://example.com/p.git', 'main')", [ws]);
    const job = await createJob(pool, ws, { projectId: "prj_hooks", prompt: "fix it", queue: "backlog", executor: { type: "command", command: "true" } });
    // What the job workflow's resources would hold; emitJobFinished uses the pool and the workflows.
    const engineRes = { ...deps, wakes: new RunWakes(pool), liveEndpoints: new LiveEndpoints(pool), log: pino({ level: "silent" }), jobs: { onePerWorkspace: false, stuckAfterMs: 1, recovery: "fail" as const }, githubApiUrl: "", dataDir: os.tmpdir(), previewUrls: previewUrls({ baseDomain: "localhost", port: 7421 }) };
    await pool.query("update jobs set status = 'running' where id = $1", [job.id]);
    expect(await emitWebhookEvent(engineRes, async () => null)).toEqual([]);
    await emitJobFinished(engineRes, job.id);
    expect(await listWebhookDeliveries(pool, ws, e.id, 50)).toEqual([]);
    await pool.query("update jobs set status = 'succeeded', pr_url = 'https://github.com/o/r/pull/7', commit_sha = 'abc123' where id = $1", [job.id]);
    await emitJobFinished(engineRes, job.id);
    await settled(e.id);
    expect(e.receiver.received[0]!.verified).toEqual({
      type: "job.completed",
      timestamp: expect.any(String),
      data: { jobId: job.id, projectId: "prj_hooks", status: "succeeded", branch: `shipyard/job-${job.id}`, prUrl: "https://github.com/o/r/pull/7", commit: "abc123", error: null },
    });
  });

  it("retries after a 500: delivered on the second attempt, the same webhook-id on both, both attempts recorded", async () => {
    const e = await endpoint(["job.completed"]);
    e.receiver.respond(500);
    await emitWebhookEvent(deps, { workspaceId: ws, type: "job.completed", key: "job_x:finished", data: { jobId: "job_x" } });
    const [delivery] = await settled(e.id);
    expect(delivery!.status).toBe("delivered");
    expect(delivery!.attempts.map((a) => [a.attempt, a.responseStatus])).toEqual([[1, 500], [2, 200]]);
    expect(e.receiver.received.map((r) => r.id)).toEqual([delivery!.id, delivery!.id]);
    expect(e.receiver.received.every((r) => r.verified !== null)).toBe(true);
  });

  it("honours a Retry-After on 429 that is longer than the schedule's wait", async () => {
    const e = await endpoint(["job.failed"]);
    e.receiver.respond({ status: 429, headers: { "retry-after": "1" } });
    await emitWebhookEvent(deps, { workspaceId: ws, type: "job.failed", key: "job_slow:finished", data: {} });
    const [delivery] = await settled(e.id);
    expect(delivery!.attempts.map((a) => a.responseStatus)).toEqual([429, 200]);
    // The schedule says 0.2 s; the receiver asked for 1 s, and DBOS.sleep never wakes early.
    expect(Date.parse(delivery!.attempts[1]!.at) - Date.parse(delivery!.attempts[0]!.at)).toBeGreaterThanOrEqual(1000);
  });

  it("gives up after the last attempt of the schedule, saying why", async () => {
    const e = await endpoint(["job.failed"]);
    e.receiver.respond(500, 502, { status: 503, headers: { "retry-after": "0" } });
    await emitWebhookEvent(deps, { workspaceId: ws, type: "job.failed", key: "job_y:finished", data: { jobId: "job_y" } });
    const [delivery] = await settled(e.id);
    expect(delivery).toMatchObject({ status: "failed", error: "gave up after 3 attempts (last: HTTP 503)" });
    expect(delivery!.attempts.map((a) => a.responseStatus)).toEqual([500, 502, 503]);
  });

  it("410 Gone disables the endpoint and fails the delivery: later events are not delivered to it", async () => {
    const e = await endpoint(["*"]);
    e.receiver.respond(410);
    await emitWebhookEvent(deps, { workspaceId: ws, type: "build.started", key: "bld_1:started", data: {} });
    const [delivery] = await settled(e.id);
    expect(delivery).toMatchObject({ status: "failed", attempts: [{ responseStatus: 410 }] });
    expect(delivery!.error).toContain("410");
    expect((await listWebhooks(pool, ws)).find((w) => w.id === e.id)).toMatchObject({ enabled: false, disabledReason: "the receiver answered 410 Gone" });
    expect(await emitWebhookEvent(deps, { workspaceId: ws, type: "build.deploy_started", key: "bld_1:deploy", data: {} })).toEqual([]);
    expect(await listWebhookDeliveries(pool, ws, e.id, 50)).toHaveLength(1);
    expect(e.receiver.received).toHaveLength(1);
  });

  it("redelivers a settled delivery: the same webhook-id, a second round of attempts", async () => {
    const e = await endpoint(["job.completed"]);
    await emitWebhookEvent(deps, { workspaceId: ws, type: "job.completed", key: "job_z:finished", data: { jobId: "job_z" } });
    const [first] = await settled(e.id);
    expect(await redeliverWebhook(deps, ws, first!.id)).toEqual({ id: first!.id, round: 2 });
    const [again] = await waitFor(async () => {
      const list = await listWebhookDeliveries(pool, ws, e.id, 50);
      return list[0]?.round === 2 && list[0].status === "delivered" ? list : null;
    }, 20_000, "the redelivery");
    expect(again!.attempts.map((a) => [a.round, a.attempt, a.responseStatus])).toEqual([[1, 1, 200], [2, 1, 200]]);
    expect(e.receiver.received.map((r) => r.id)).toEqual([first!.id, first!.id]);
    expect(e.receiver.received[1]!.verified).toEqual(e.receiver.received[0]!.verified);
  });

  it("keeps the signing secret out of the logs and out of the database in plain text", async () => {
    const e = await endpoint(["job.completed"]);
    e.receiver.respond(500);
    await emitWebhookEvent(deps, { workspaceId: ws, type: "job.completed", key: "job_s:finished", data: {} });
    await settled(e.id);
    expect(logText).toContain("webhook attempt failed");
    expect(logText).not.toContain(e.secret);
    expect(logText).not.toContain(e.secret.slice("whsec_".length));
    const { rows } = await pool.query("select to_jsonb(w)::text as row from webhook_endpoints w where id = $1", [e.id]);
    expect(rows[0].row).not.toContain(e.secret.slice("whsec_".length));
  });
});
