// Runners may speak only for their own tasks: forged and stale frames are dropped and counted; the protocol
// version is checked at hello; revoking a token closes its runner connections; runners report their sandbox.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { CLOSE_PROTOCOL_MISMATCH, CLOSE_TOKEN_REVOKED, PROTOCOL_VERSION, RUNNER_PATH } from "../src/runner/protocol.ts";
import { runCli } from "./helpers/cli.ts";
import { connectPeer, spawnRunner, type PeerRunner, type RunnerProcess } from "./helpers/runners.ts";
import { startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
let scratch: string;
const ws: Record<"a" | "b" | "c", { id: string; token: string }> = { a: { id: "", token: "" }, b: { id: "", token: "" }, c: { id: "", token: "" } };
let aRunner: RunnerProcess;
const peers: PeerRunner[] = [];

beforeAll(async () => {
  // No local runner: each workspace's tasks can only go to that workspace's own runners.
  s = await startTestShipyard({ localRunner: false });
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-ownership-"));
  for (const name of ["a", "b", "c"] as const) ws[name] = (await s.api("POST", "/workspaces", { name: `team-${name}` })).body;
  aRunner = await spawnRunner(s.url, ws.a.token, "a-runner");
  await waitFor(async () => (await s.api("GET", "/runners", undefined, ws.a.token)).body.runners.some((r: { status: string }) => r.status === "online"));
});
afterAll(async () => {
  for (const p of peers) p.close();
  await aRunner?.stop();
  await s?.stop();
});

/** shipyard_runner_frames_rejected_total summed over reasons, and per reason. */
async function rejected(): Promise<{ total: number; by: Record<string, number> }> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const by: Record<string, number> = {};
  for (const m of text.matchAll(/^shipyard_runner_frames_rejected_total\{reason="([^"]+)"\} (\d+)$/gm)) by[m[1]!] = Number(m[2]);
  return { total: Object.values(by).reduce((x, y) => x + y, 0), by };
}

const logFrame = (taskId: string, dispatch: number, stepId: string, attempt: number, line: string) => ({
  type: "log",
  taskId,
  dispatch,
  stepId,
  attempt,
  lines: [{ stream: "stdout", line, time: new Date().toISOString() }],
});
const resultFrame = (taskId: string, dispatch: number, outputs: Record<string, string>) => ({
  type: "result",
  taskId,
  dispatch,
  status: "succeeded",
  exitCode: 0,
  outputs,
  durationMs: 1,
});
/** The log lines of a run, read with its workspace's token. */
async function logLines(runId: string, token: string): Promise<string[]> {
  const events = (await s.api("GET", `/operations/${runId}/events?limit=5000`, undefined, token)).body.events as { type: string; payload: { line?: string } }[];
  return events.filter((e) => e.type === "log").map((e) => String(e.payload.line));
}

async function startRun(token: string, workflow: string, inputs: Record<string, unknown> = {}): Promise<string> {
  const r = await s.api("POST", "/runs", { workflow, inputs }, token);
  expect(r.status).toBe(201);
  return r.body.id;
}
const runOf = async (id: string, token: string) => (await s.api("GET", `/runs/${id}`, undefined, token)).body;

describe("runner frames", () => {
  it("a runner of workspace B cannot write log lines or a result into workspace A's run", async () => {
    // The step waits for a file in its workspace (the one place the test and a sandboxed step share).
    const wf = `
name: victim
steps:
  - id: hold
    run: |
      while [ ! -f go ]; do sleep 0.05; done
      echo "out=real" >> "$SHIPYARD_OUTPUT"
`;
    const runId = await startRun(ws.a.token, wf);
    const gate = path.join(aRunner.workDir, "workspaces", runId, "go");
    const step = await waitFor(async () => (await runOf(runId, ws.a.token)).steps.find((x: { status: string }) => x.status === "running"));
    const taskId = `${runId}:hold:${step.attempt}`;
    const before = await rejected();

    const forger = await connectPeer(s.url, ws.b.token, "b-forger", () => true);
    peers.push(forger);
    for (const dispatch of [1, 2]) {
      forger.send(logFrame(taskId, dispatch, "hold", step.attempt, "INJECTED by workspace B"));
      forger.send(resultFrame(taskId, dispatch, { out: "forged" }));
    }
    const after = await waitFor(async () => {
      const r = await rejected();
      return r.total >= before.total + 4 ? r : null;
    });
    expect((after.by.not_assigned ?? 0) - (before.by.not_assigned ?? 0)).toBeGreaterThanOrEqual(1);

    expect((await runOf(runId, ws.a.token)).status).toBe("running");
    await fs.writeFile(gate, "");
    const done = await waitFor(async () => {
      const r = await runOf(runId, ws.a.token);
      return ["succeeded", "failed", "cancelled"].includes(r.status) ? r : null;
    });
    expect(done.status).toBe("succeeded");
    expect(done.steps[0].outputs).toEqual({ out: "real" });
    expect(await logLines(runId, ws.a.token)).not.toContain("INJECTED by workspace B");
    // B's runner was never handed A's work either.
    expect(forger.tasks).toEqual([]);
  });

  it("a frame for a dispatch of its own task that is no longer current is dropped", async () => {
    const wf = "name: stale\nsteps:\n  - id: one\n    run: echo never-runs-here\n";
    const first = await connectPeer(s.url, ws.c.token, "c-peer", () => true);
    peers.push(first);
    const runId = await startRun(ws.c.token, wf);
    const old = await waitFor(async () => first.tasks.find((t) => t.runId === runId));
    // The runner comes back without the task: it is declared lost and handed out again, as a new dispatch.
    first.close();
    await first.closed;
    const again = await connectPeer(s.url, ws.c.token, "c-peer", () => true);
    peers.push(again);
    const current = await waitFor(async () => again.tasks.find((t) => t.runId === runId));
    expect(`${current.taskId}#${current.dispatch}`).not.toBe(`${old.taskId}#${old.dispatch}`);

    const before = await rejected();
    again.send(logFrame(old.taskId, old.dispatch, old.stepId, old.attempt, "STALE line"));
    again.send(resultFrame(old.taskId, old.dispatch, { out: "stale" }));
    await waitFor(async () => (await rejected()).total >= before.total + 2);
    // The current dispatch is still taken: its line arrives and its result ends the run.
    again.send(logFrame(current.taskId, current.dispatch, current.stepId, current.attempt, "CURRENT line"));
    await waitFor(async () => (await logLines(runId, ws.c.token)).includes("CURRENT line"));
    again.send(resultFrame(current.taskId, current.dispatch, { out: "current" }));
    const done = await waitFor(async () => {
      const r = await runOf(runId, ws.c.token);
      return r.status === "succeeded" ? r : null;
    });
    expect(done.steps[0].outputs).toEqual({ out: "current" });
    expect(await logLines(runId, ws.c.token)).not.toContain("STALE line");
  });
});

describe("hello", () => {
  it("a runner of another protocol version is told which versions and what to do, and closed with its own code", async () => {
    const sock = new WebSocket(s.url.replace(/^http/, "ws") + RUNNER_PATH, { headers: { authorization: `Bearer ${ws.a.token}` } });
    const frames: { type: string; code?: string; message?: string }[] = [];
    sock.on("message", (d) => frames.push(JSON.parse(String(d))));
    const closed = new Promise<number>((resolve) => sock.once("close", (code) => resolve(code)));
    sock.once("open", () => sock.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION + 1, name: "future", labels: [], slots: 1, version: "9", running: [] })));
    expect(await closed).toBe(CLOSE_PROTOCOL_MISMATCH);
    expect(frames).toEqual([{ type: "error", code: "protocol_mismatch", message: expect.stringContaining(`runner protocol ${PROTOCOL_VERSION + 1}`) }]);
    expect(frames[0]!.message).toContain(`server speaks runner protocol ${PROTOCOL_VERSION}`);
    expect(frames[0]!.message).toContain("upgrade");
    const names = (await s.api("GET", "/runners", undefined, ws.a.token)).body.runners.map((r: { name: string }) => r.name);
    expect(names).not.toContain("future");
  });

  it("`shipyard runner` told of a protocol mismatch prints it and exits non-zero instead of reconnecting", async () => {
    const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    server.on("connection", (sock) =>
      sock.once("message", () => {
        sock.send(JSON.stringify({ type: "error", code: "protocol_mismatch", message: "this runner speaks runner protocol 1 but the server speaks runner protocol 7: upgrade the runner" }));
        sock.close(CLOSE_PROTOCOL_MISMATCH, "protocol mismatch");
      }),
    );
    await new Promise((resolve) => server.once("listening", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await runCli(["runner", "--server", `http://127.0.0.1:${port}`, "--token", "t", "--name", "old", "--work-dir", path.join(scratch, "old-runner")], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: scratch, SHIPYARD_LOG_LEVEL: "fatal" },
        guardMs: 30_000,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("server speaks runner protocol 7: upgrade the runner");
    } finally {
      server.close();
    }
  });

  it("runners report their sandbox (none unless they say otherwise), shown by GET /runners and `shipyard runners`", async () => {
    peers.push(await connectPeer(s.url, ws.a.token, "a-boxed", () => true, { sandbox: "bwrap" }));
    peers.push(await connectPeer(s.url, ws.a.token, "a-silent", () => true));
    const runners = (await s.api("GET", "/runners", undefined, ws.a.token)).body.runners as { name: string; sandbox: string; shared: boolean }[];
    expect(runners.find((r) => r.name === "a-boxed")).toMatchObject({ sandbox: "bwrap", shared: false });
    expect(runners.find((r) => r.name === "a-silent")).toMatchObject({ sandbox: "none", shared: false });
    // A real runner with bubblewrap says so.
    expect(runners.find((r) => r.name === "a-runner")).toMatchObject({ sandbox: "bwrap", shared: false });
    const cli = await runCli(["runners"], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: scratch, SHIPYARD_URL: s.url, SHIPYARD_TOKEN: ws.a.token, NO_COLOR: "1" } });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/SANDBOX/);
    expect(cli.stdout).toMatch(/a-boxed .*bwrap/);
    // Workspace runners serve their own workspace only: B does not see A's.
    const seenByB = (await s.api("GET", "/runners", undefined, ws.b.token)).body.runners.map((r: { name: string }) => r.name);
    expect(seenByB).not.toContain("a-boxed");
  });
});

describe("runner tokens", () => {
  it("a viewer or member token may not connect as a runner", async () => {
    for (const role of ["viewer", "member"]) {
      const t = (await s.api("POST", "/tokens", { name: `no-runner-${role}`, role }, ws.a.token)).body.token;
      const status = await new Promise<number>((resolve) => {
        const sock = new WebSocket(s.url.replace(/^http/, "ws") + RUNNER_PATH, { headers: { authorization: `Bearer ${t}` } });
        sock.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        sock.on("open", () => resolve(101));
        sock.on("error", () => undefined);
      });
      expect(status).toBe(403);
    }
  });

  it("a shared-pool runner token (the admin's to issue) makes a runner every workspace sees", async () => {
    const t = (await s.api("POST", "/tokens", { name: "pool", role: "runner", shared: true })).body.token;
    peers.push(await connectPeer(s.url, t, "pool-1", () => true));
    for (const w of [ws.a, ws.b, ws.c]) {
      const runners = (await s.api("GET", "/runners", undefined, w.token)).body.runners;
      expect(runners.find((r: { name: string }) => r.name === "pool-1")).toMatchObject({ shared: true });
    }
  });

  it("revoking a token closes the runner connections made with it, and the runner stops instead of retrying", async () => {
    const created = (await s.api("POST", "/tokens", { name: "a-build", role: "runner" }, ws.a.token)).body;
    const peer = await connectPeer(s.url, created.token, "a-build-peer", () => true);
    peers.push(peer);
    const runner = await spawnRunner(s.url, created.token, "a-build-runner");
    const exited = new Promise<number | null>((resolve) => runner.child.once("exit", (code) => resolve(code)));
    await waitFor(async () => (await s.api("GET", "/runners", undefined, ws.a.token)).body.runners.some((r: { name: string; status: string }) => r.name === "a-build-runner" && r.status === "online"));
    expect((await s.api("DELETE", `/tokens/${created.id}`, undefined, ws.a.token)).status).toBe(204);
    expect(await peer.closed).toBe(CLOSE_TOKEN_REVOKED);
    expect(await exited).toBe(1);
    await expect(connectPeer(s.url, created.token, "a-build-peer", () => true)).rejects.toThrow();
  });
});
