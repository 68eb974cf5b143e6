// The job workflow on an engine of this process (DBOS on a fresh database), without a server or runner process:
// a database blip in a stage is ridden out by the stage's step retries, not reported as the job's failure.
import { RunWakes } from "../runs/wake.ts";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flakyPool, onlineRunner, workspace } from "../../test/helpers/core.ts";
import { freshDatabase } from "../../test/helpers/database.ts";
import { waitFor } from "../../test/helpers/shipyard.ts";
import { loadConfig } from "../config.ts";
import { migrate } from "../db/migrate.ts";
import { previewUrls } from "../previews/urls.ts";
import { createPool, type Pool } from "../db/pool.ts";
import { createEngine, stopEngine, type Engine } from "../engine/engine.ts";
import { readEvents } from "../events/store.ts";
import { createLogger } from "../logger.ts";
import { createOutboundClient } from "../net/outbound-client.ts";
import { SecretBox } from "../secrets/box.ts";
import { createSecretStore } from "../secrets/store.ts";
import { startDispatcher } from "./dispatch.ts";
import { createJob } from "./queue.ts";
import { loadJob } from "./store.ts";
import { REQUIRE_WORKSPACE, WORKSPACE_GONE_EXIT, WORKSPACE_GONE_OUTPUT } from "../git/scripts.ts";

let pool: Pool;
let engine: Engine;
// The first time a stage begins, the connection is lost under the write that records it.
const STAGE_START = /update jobs set stage = \$2, updated_at = now\(\)/;
let flaky: Pool & { failures: number };

beforeAll(async () => {
  const url = await freshDatabase("jobwf");
  pool = createPool(url, 10);
  await migrate(pool);
  flaky = flakyPool(pool, STAGE_START);
  engine = createEngine({
    wakes: new RunWakes(pool),
    databaseUrl: url,
    pool: flaky,
    log: createLogger("silent"),
    executorId: `test-${randomBytes(4).toString("hex")}`,
    secrets: createSecretStore(pool, new SecretBox(randomBytes(32))),
    jobs: { onePerWorkspace: false, stuckAfterMs: 600_000, recovery: "requeue" },
    outbound: createOutboundClient(loadConfig({}).urls),
    githubApiUrl: "https://api.github.com",
    dataDir: mkdtempSync(path.join(os.tmpdir(), "shipyard-jobwf-")),
    previewUrls: previewUrls({ baseDomain: "localhost", port: 7421 }),
  });
  await engine.start();
});
afterAll(async () => {
  await stopEngine();
  await pool?.end();
});

describe("the job workflow and the database going away", () => {
  it("retries a stage's write that lost its connection: the same attempt carries on (it was 'internal error in credentials')", async () => {
    const ws = await workspace(pool);
    await pool.query("insert into projects (id, workspace_id, name, repo, default_branch) values ('prj_blip', $1, 'p', 'https://example.com/p.git', 'main')", [ws]);
    const runner = await onlineRunner(pool, ws);
    const job = await createJob(pool, ws, { projectId: "prj_blip", prompt: "blip", queue: "backlog", executor: { type: "command", command: "true" } });
    await startDispatcher(engine.workflows, runner);
    // The prepare stage's task is handed to the runner row, which never answers: the job waits there.
    const stages = await waitFor(async () => {
      const events = await readEvents(pool, job.id, 0);
      const list = events.flatMap((e) => (e.type === "stage" ? [`${e.payload.stage}:${e.payload.status}:${e.payload.attempt}`] : []));
      return list.includes("prepare:started:1") ? list : null;
    }, 30_000, "the prepare stage");
    expect(flaky.failures).toBe(1);
    expect(stages).toEqual(["credentials:started:1", "credentials:succeeded:1", "prepare:started:1"]);
    expect(await loadJob(pool, job.id)).toMatchObject({ status: "running", attempts: 1, stage: "prepare", error: null });
  });
});

describe("the job workflow and a runner that lost its workspace", () => {
  it("a stage that finds the workspace empty (exit 75) returns the job to its queue as after a lost runner, not failed", async () => {
    const ws = await workspace(pool);
    await pool.query("insert into projects (id, workspace_id, name, repo, default_branch) values ('prj_gone', $1, 'p', 'https://example.com/p.git', 'main')", [ws]);
    const runner = await onlineRunner(pool, ws);
    const job = await createJob(pool, ws, { projectId: "prj_gone", prompt: "gone", queue: "backlog", executor: { type: "command", command: "true" } });
    await startDispatcher(engine.workflows, runner);
    // Answer each stage as the runner's gateway would: prepare succeeds, the agent finds an empty workspace.
    const answer = async (stage: string, result: { status: "succeeded" | "failed"; exitCode: number; outputs?: Record<string, string> }) => {
      const task = await waitFor(async () => {
        const { rows } = await pool.query("select id, dispatch, workflow_id, spec->>'command' as command from tasks where operation_id = $1 and step_id = $2 and status = 'assigned'", [job.id, stage]);
        return rows[0] ?? null;
      }, 30_000, `the ${stage} stage's task`);
      await engine.workflows.send(task.workflow_id, { type: "result", taskId: task.id, dispatch: task.dispatch, outputs: {}, durationMs: 1, ...result }, `result:${task.id}:${task.dispatch}`);
      return task.command as string;
    };
    const prepare = await answer("prepare", { status: "succeeded", exitCode: 0 });
    expect(prepare).not.toContain("no longer has the clone");
    // As REQUIRE_WORKSPACE answers: its exit code and its output (an agent's own exit 75 is its failure: test/jobs-properties.test.ts).
    const agent = await answer("agent", { status: "failed", exitCode: WORKSPACE_GONE_EXIT, outputs: { [WORKSPACE_GONE_OUTPUT]: "1" } });
    expect(agent.startsWith(REQUIRE_WORKSPACE)).toBe(true);
    // Back at the front of its queue (a new attempt starts from a fresh clone), with the reason; never failed.
    const requeued = await waitFor(async () => {
      const events = await readEvents(pool, job.id, 0);
      return events.find((e) => e.type === "status" && e.payload.status === "queued" && e.payload.attempt === 1) ?? null;
    }, 30_000, "the job back in its queue");
    expect(requeued.payload).toMatchObject({ front: true, reason: expect.stringContaining("no longer has the workspace") });
    expect((await loadJob(pool, job.id))?.status).not.toBe("failed");
  });
});
