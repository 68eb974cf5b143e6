import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSse } from "./helpers/sse.ts";
import { spawnSync } from "node:child_process";
import { BIN, killGroup, reservePorts, startUp, type UpProcess } from "./helpers/process.ts";
import { waitFor } from "./helpers/shipyard.ts";

// Steps leave marks in the run's workspace: the one place a sandboxed step writes that outlives it.
const WORKFLOW = `
name: crashy
steps:
  - id: one
    run: echo one >> one
  - id: two
    needs: one
    run: |
      echo start >> two
      echo "two is running"
      # Held until the test releases it after the crash (however long a loaded machine takes to get there).
      while [ ! -f release ]; do sleep 0.2; done
      echo done >> two
  - id: three
    needs: two
    run: echo three >> three
`;

// The killed runner never comes back: its step is lost after a second, not the default 10 s.
const FAST_LOSS = { SHIPYARD_RUNNER_LOST_AFTER_MS: "1000" };

const marksOf = (dataDir: string, runId: string) => path.join(dataDir, "runner", "workspaces", runId);

const procs: UpProcess[] = [];
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) await killGroup(p).catch(() => undefined);
});

async function api(p: UpProcess, method: string, route: string, body?: unknown): Promise<any> {
  const res = await fetch(`${p.url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${p.token}`, "content-type": "application/json", accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

const lines = async (file: string) => (await fs.readFile(file, "utf8").catch(() => "")).split("\n").filter(Boolean);

describe("crash recovery", () => {
  it("kill -9 of the whole process group mid-step: the run resumes at that step, finished steps do not run again, events stay gap-free", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-crash-"));
    const ports = await reservePorts();
    const first = await startUp(dataDir, ports, FAST_LOSS);
    procs.push(first);
    const run = await api(first, "POST", "/runs", { workflow: WORKFLOW });
    const marks = marksOf(dataDir, run.id);
    expect(run.status).toBe("pending");

    // A second `up` on a live data dir refuses instead of taking its database away.
    const rival = spawnSync(process.execPath, [BIN, "up"], { env: { ...process.env, SHIPYARD_DATA_DIR: dataDir, SHIPYARD_PORT: "0" }, encoding: "utf8", timeout: 30_000 });
    expect(rival.status).toBe(1);
    expect(rival.stderr).toContain("already running");

    // Follow live until step two is running, then kill everything.
    const live = await readSse(`${first.url}/api/v1/operations/${run.id}/events`, {
      token: first.token,
      stopWhen: (e) => e.event === "log" && JSON.parse(e.data).payload.line === "two is running",
    });
    const seen = live.events.map((e) => Number(e.id));
    expect(await lines(path.join(marks, "two"))).toEqual(["start"]);
    await killGroup(first);
    await fs.writeFile(path.join(marks, "release"), "");
    const lastSeen = seen.at(-1)!;
    expect(seen).toEqual(seen.map((_, i) => i + 1));

    // Start again on the same data dir: the stale PostgreSQL lock must not block it.
    const second = await startUp(dataDir, ports, FAST_LOSS);
    procs.push(second);
    const after = await readSse(`${second.url}/api/v1/operations/${run.id}/events`, { token: second.token, lastEventId: String(lastSeen) });
    expect(after.ended).toBe(true);
    const resumed = after.events.map((e) => JSON.parse(e.data) as { seq: number; type: string; payload: Record<string, unknown> });
    expect(resumed.map((e) => String(e.seq))).toEqual(after.events.map((e) => e.id));
    expect(resumed.map((e) => e.seq)).toEqual(resumed.map((_, i) => lastSeen + i + 1));
    expect(resumed.at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded" } });

    const final = await api(second, "GET", `/runs/${run.id}`);
    expect(final.status).toBe("succeeded");
    expect(await lines(path.join(marks, "one"))).toEqual(["one"]);
    expect(await lines(path.join(marks, "two"))).toEqual(["start", "start", "done"]);
    expect(await lines(path.join(marks, "three"))).toEqual(["three"]);

    const all = await api(second, "GET", `/operations/${run.id}/events?limit=5000`);
    const seqs = all.events.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    expect(all.events.filter((e: { type: string }) => e.type === "complete")).toHaveLength(1);
    // The step that finished before the crash reported success exactly once.
    const oneDone = all.events.filter((e: any) => e.type === "step" && e.payload.stepId === "one" && e.payload.status === "succeeded");
    expect(oneDone).toHaveLength(1);
    // The step the crash interrupted ran again as a new attempt, and its events say why.
    expect(final.steps.find((x: any) => x.id === "two")).toMatchObject({ status: "succeeded", attempt: 2 });
    const lost = all.events.find((e: any) => e.type === "step" && e.payload.stepId === "two" && e.payload.status === "lost");
    expect(lost?.payload).toMatchObject({ attempt: 1, nextAttempt: 2, reason: expect.stringContaining("runner lost") });

    // Ctrl-C stops everything cleanly, the embedded PostgreSQL included.
    process.kill(-second.child.pid!, "SIGINT");
    expect(await second.exited).toBe(0);
    await waitFor(async () => !(await fs.access(path.join(dataDir, "pgdata", "postmaster.pid")).then(() => true, () => false)), 10_000, "postgres to stop");
  });

  it("kill -9 of the server alone (its PostgreSQL and runner live on): the next start takes over and the run completes", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-crash2-"));
    const ports = await reservePorts();
    const first = await startUp(dataDir, ports, FAST_LOSS);
    procs.push(first);
    const run = await api(first, "POST", "/runs", { workflow: WORKFLOW });
    const marks = marksOf(dataDir, run.id);
    await waitFor(async () => (await lines(path.join(marks, "two"))).length === 1, 20_000, "step two to start");
    process.kill(first.child.pid!, "SIGKILL");
    await first.exited;
    await fs.writeFile(path.join(marks, "release"), "");
    const second = await startUp(dataDir, ports, FAST_LOSS);
    procs.push(second);
    const final = await waitFor(async () => {
      const r = await api(second, "GET", `/runs/${run.id}`);
      return r.status === "succeeded" || r.status === "failed" ? r : null;
    }, 60_000, "the run to finish");
    expect(final.status).toBe("succeeded");
    expect(await lines(path.join(marks, "one"))).toEqual(["one"]);
    expect(await lines(path.join(marks, "three"))).toEqual(["three"]);
    const all = await api(second, "GET", `/operations/${run.id}/events?limit=5000`);
    const seqs = all.events.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    await killGroup(second);
  });
});
