// kill -9 of the whole of Shipyard while a run's wait step waits for another run: the next start resumes the
// wait (the same attempt: its durable sleeps and looks are replayed, not begun again), and it ends when the
// awaited run does.
import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { crashableUp, type CrashableUp } from "./helpers/process.ts";
import { waitFor } from "./helpers/shipyard.ts";

const HELD = `
name: held
steps:
  - id: hold
    run: |
      echo started >> marks
      while [ ! -f release ]; do sleep 0.2; done
`;

const WAITER = `
name: waiter
inputs:
  op: { type: string }
steps:
  - id: done
    wait: { operation: "\${{ inputs.op }}", timeout: 10m }
outputs:
  status: \${{ steps.done.outputs.status }}
`;

// The killed runner never comes back: its step is lost after a second, not the default 10 s.
const FAST_LOSS = { SHIPYARD_RUNNER_LOST_AFTER_MS: "1000" };

let shipyard: CrashableUp;
afterAll(async () => {
  await shipyard?.cleanup();
});

const api = async (method: string, route: string, body?: unknown): Promise<any> => (await shipyard.api(method, route, body)).body;

const stepOf = (run: { steps: { id: string }[] }, id: string) => run.steps.find((s) => s.id === id) as Record<string, unknown> | undefined;

describe("a wait across a crash", () => {
  it("kill -9 during a wait: the next start resumes the same attempt, which ends when the awaited run does", async () => {
    shipyard = await crashableUp("shipyard-trees-crash-", FAST_LOSS);
    const held = await api("POST", "/runs", { workflow: HELD });
    const workspace = path.join(shipyard.dataDir, "runner", "workspaces", held.id);
    await waitFor(async () => (await fs.readFile(path.join(workspace, "marks"), "utf8").catch(() => "")).includes("started"), 30_000, "the held step to start");
    const waiter = await api("POST", "/runs", { workflow: WAITER, inputs: { op: held.id } });
    await waitFor(async () => stepOf(await api("GET", `/runs/${waiter.id}`), "done")?.status === "running", 30_000, "the wait to start");
    const before = await api("GET", `/operations/${waiter.id}/events?limit=5000`);

    await shipyard.kill();
    await shipyard.start();
    // Still waiting after the restart: the awaited run has not ended.
    const resumed = await api("GET", `/runs/${waiter.id}`);
    expect(resumed.status).toBe("running");
    await fs.writeFile(path.join(workspace, "release"), "");

    const final = await waitFor(async () => {
      const r = await api("GET", `/runs/${waiter.id}`);
      return ["succeeded", "failed", "cancelled"].includes(r.status) ? r : null;
    }, 90_000, "the waiting run to end");
    expect(final.status, JSON.stringify(final.steps)).toBe("succeeded");
    expect(final.outputs).toEqual({ status: "succeeded" });
    expect(stepOf(final, "done")).toMatchObject({ status: "succeeded", attempt: 1 });
    expect((await api("GET", `/runs/${held.id}`)).status).toBe("succeeded");
    const all = (await api("GET", `/operations/${waiter.id}/events?limit=5000`)).events as { seq: number; type: string; payload: Record<string, unknown> }[];
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.length).toBeGreaterThan(before.events.length);
    // The wait was not lost and run again: one running event for it, before the crash.
    expect(all.filter((e) => e.type === "step" && e.payload.stepId === "done" && e.payload.status === "running")).toHaveLength(1);
    expect(all.some((e) => e.type === "step" && e.payload.status === "lost")).toBe(false);
    await shipyard.kill();
  }, 240_000);
});
