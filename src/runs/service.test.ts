// createRun called directly on a fresh database, with a WorkflowControl that records what it is asked (the middle
// test tier: no engine, so nothing advances a run but createRun itself).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, onlineRunner, workspace } from "../../test/helpers/core.ts";
import type { Pool } from "../db/pool.ts";
import type { StartOptions, WorkflowControl } from "../engine/control.ts";
import type { RunMessage } from "../tasks/messages.ts";
import { advanceRun } from "./advance.ts";
import { createRun } from "./service.ts";
import { RUN_WORKFLOW } from "./workflow.ts";

let pool: Pool;
let ws: string;
beforeAll(async () => {
  pool = await coreDatabase("runservice");
  ws = await workspace(pool, "replay:hello");
  await onlineRunner(pool, ws, 8);
});
afterAll(async () => {
  await pool?.end();
});

/** Records starts and messages; runs nothing. */
class RecordingWorkflows implements WorkflowControl {
  readonly started: { name: string; o: StartOptions; args: unknown[] }[] = [];
  readonly sent: { workflowId: string; msg: RunMessage; key: string }[] = [];
  async start(name: string, o: StartOptions, ...args: unknown[]): Promise<void> {
    this.started.push({ name, o, args });
  }
  async send(workflowId: string, msg: RunMessage, key: string): Promise<void> {
    this.sent.push({ workflowId, msg, key });
  }
  async cancel(): Promise<void> {}
  async status(): Promise<string | null> {
    return "PENDING";
  }
}

const state = async (runId: string) => ({
  status: (await pool.query("select status from operations where id = $1", [runId])).rows[0].status,
  steps: (await pool.query("select step_id, status from run_steps where run_id = $1 order by position", [runId])).rows,
  events: (await pool.query("select type, payload->>'status' as status from events where operation_id = $1 order by seq", [runId])).rows.map((e) => `${e.type}:${e.status}`),
});

describe("createRun", () => {
  it("starts a keyless run's first steps itself, and its workflow begins by waiting (no message needed)", async () => {
    const workflows = new RecordingWorkflows();
    const run = await createRun({ pool, workflows }, { workspaceId: ws, source: "name: w\nsteps:\n  - id: a\n    run: 'true'\n  - id: b\n    needs: a\n    run: 'true'\n", inputs: {} });
    expect(workflows.started).toEqual([{ name: RUN_WORKFLOW, o: expect.objectContaining({ workflowId: run.id, queue: undefined }), args: [run.id, true] }]);
    expect(workflows.sent).toEqual([]);
    expect(await state(run.id)).toEqual({
      status: "running",
      steps: [{ step_id: "a", status: "running" }, { step_id: "b", status: "pending" }],
      events: ["status:pending", "status:running", "step:queued", "step:running"],
    });
    // The workflow's own advances find it started: the same start again changes nothing.
    await advanceRun(pool, run.id, { type: "start" });
    expect((await state(run.id)).events).toHaveLength(4);
  });

  it("leaves a keyed run pending for its queue, whose workflow starts it", async () => {
    const workflows = new RecordingWorkflows();
    const run = await createRun({ pool, workflows }, { workspaceId: ws, source: "name: w\nconcurrency: k\nsteps:\n  - id: a\n    run: 'true'\n", inputs: {} });
    expect(workflows.started[0]!.args).toEqual([run.id, false]);
    expect(workflows.started[0]!.o.queue).toBeDefined();
    expect((await state(run.id)).status).toBe("pending");
  });

  it("ticks the workflow when it has something to do at once: a server-run step's child workflow, or ending a run already over", async () => {
    const llm = new RecordingWorkflows();
    const first = await createRun({ pool, workflows: llm }, { workspaceId: ws, source: "name: w\nsteps:\n  - id: ask\n    llm:\n      prompt: hi\n", inputs: {} });
    expect(llm.sent).toEqual([{ workflowId: first.id, msg: { type: "tick" }, key: `start:${first.id}` }]);
    const skipped = new RecordingWorkflows();
    const second = await createRun({ pool, workflows: skipped }, { workspaceId: ws, source: "name: w\nsteps:\n  - id: a\n    if: ${{ false }}\n    run: 'true'\n", inputs: {} });
    expect((await state(second.id)).status).toBe("succeeded");
    expect(skipped.sent.map((s) => s.msg)).toEqual([{ type: "tick" }]);
  });
});

describe("a tick", () => {
  it("starts a run that is still pending (its first advance was lost)", async () => {
    const workflows = new RecordingWorkflows();
    const run = await createRun({ pool, workflows }, { workspaceId: ws, source: "name: w\nconcurrency: k2\nsteps:\n  - id: a\n    run: 'true'\n", inputs: {} });
    await advanceRun(pool, run.id, { type: "tick" });
    expect(await state(run.id)).toEqual({ status: "running", steps: [{ step_id: "a", status: "running" }], events: ["status:pending", "status:running", "step:queued", "step:running"] });
  });
});
