// Stopping a real `shipyard up`: with followers attached it is gone within a bound, leaves no process and no
// server.json behind, starts again at once on the same data dir, and followers resume across the restart.
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO, runCli } from "./helpers/cli.ts";
import { killGroup, reservePorts, startUp, type UpProcess } from "./helpers/process.ts";
import { commandOf, descendants, isAlive } from "./helpers/process-tree.ts";
import { waitFor } from "./helpers/shipyard.ts";
import { readSse } from "./helpers/sse.ts";

/** Generous: a stop takes well under a second when the machine is quiet; this only catches a hang. */
const STOP_BOUND_MS = 10_000;

const procs: UpProcess[] = [];
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) await killGroup(p).catch(() => undefined);
});

async function api(p: { url: string; token: string }, method: string, route: string, body?: unknown): Promise<any> {
  const res = await fetch(`${p.url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${p.token}`, "content-type": "application/json", accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

/** Resolves to the exit code, or to "still running" once `ms` have passed. */
const exitWithin = (exited: Promise<number | null>, ms: number) =>
  Promise.race([exited, new Promise<"still running">((r) => setTimeout(() => r("still running"), ms).unref())]);

/** A process and its whole tree, each remembered by pid and command line (so a reused pid is not mistaken). */
function snapshotTree(root: number): { pid: number; cmd: string }[] {
  return [root, ...descendants(root)].map((pid) => ({ pid, cmd: commandOf(pid) })).filter((p) => p.cmd !== "");
}
const survivors = (tree: { pid: number; cmd: string }[]) => tree.filter((p) => isAlive(p.pid) && commandOf(p.pid) === p.cmd);

const exists = (file: string) => fs.access(file).then(() => true, () => false);

const LONG_STEP = `
name: long
steps:
  - id: chatty
    run: |
      for i in $(seq 1 600); do echo "tick $i"; sleep 0.1; done
`;

describe("stopping the server", () => {
  it("SIGTERM with an SSE follower attached: gone within the bound, nothing left behind, and a start right after works", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-stop-"));
    const ports = await reservePorts();
    const first = await startUp(dataDir, ports);
    procs.push(first);
    const run = await api(first, "POST", "/runs", { workflow: LONG_STEP });
    // The follower holds its stream open for as long as the run goes on (a minute): only the stop ends it.
    const follower = readSse(`${first.url}/api/v1/operations/${run.id}/events`, { token: first.token, guardMs: 60_000 });
    await waitFor(async () => (await api(first, "GET", `/operations/${run.id}/events`)).events.some((e: any) => e.type === "log"), 30_000, "the step to print");
    const tree = snapshotTree(first.child.pid!);
    expect(tree.some((p) => p.cmd.includes("shipyard.js runner"))).toBe(true);
    expect(tree.some((p) => p.cmd.includes("postgres"))).toBe(true);

    process.kill(first.child.pid!, "SIGTERM");
    expect(await exitWithin(first.exited, STOP_BOUND_MS)).toBe(0);
    const stream = await follower;
    expect(stream.ended).toBe(true);
    expect(stream.events.map((e) => e.event)).not.toContain("complete");
    await waitFor(async () => survivors(tree).length === 0, STOP_BOUND_MS, "every process of the stopped server to be gone").catch(() => {
      throw new Error(`left behind: ${JSON.stringify(survivors(tree))}`);
    });
    expect(await exists(path.join(dataDir, "server.json"))).toBe(false);
    // Once the database is gone nothing retries into it: no flood of connection errors.
    expect(first.output().match(/ENOENT|ECONNREFUSED/g) ?? []).toHaveLength(0);

    // Right after: the same data dir and ports start again, and the run is still there.
    const second = await startUp(dataDir, ports);
    procs.push(second);
    expect((await api(second, "GET", `/runs/${run.id}`)).id).toBe(run.id);

    // The local runner leaves when its parent dies without stopping it.
    const runner = snapshotTree(second.child.pid!).filter((p) => p.cmd.includes("shipyard.js runner"));
    expect(runner).toHaveLength(1);
    process.kill(second.child.pid!, "SIGKILL");
    await second.exited;
    await waitFor(async () => survivors(runner).length === 0, STOP_BOUND_MS, "the orphaned local runner to leave");
    // Its PostgreSQL outlives a kill -9 by design (the next start stops it); this test stops it itself.
    const postmaster = Number((await fs.readFile(path.join(dataDir, "pgdata", "postmaster.pid"), "utf8")).split("\n")[0]);
    process.kill(postmaster, "SIGINT");
    await waitFor(async () => !isAlive(postmaster), STOP_BOUND_MS, "the orphaned PostgreSQL to stop");
  });

  it("`shipyard logs -f` across a restart: says the server went away once, then prints every event exactly once", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-restart-"));
    const home = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-restart-home-"));
    const ports = await reservePorts();
    const first = await startUp(dataDir, ports);
    procs.push(first);
    const workflow = `
name: restartable
steps:
  - id: before
    run: echo before
  - id: slow
    needs: before
    run: |
      echo "slow started"
      touch slow-started
      sleep 2
      echo "slow done"
  - id: after
    needs: slow
    run: echo after
`;
    const run = await api(first, "POST", "/runs", { workflow });
    // The run's workspace: the one place a sandboxed step writes that the test can see.
    const marks = path.join(dataDir, "runner", "workspaces", run.id);
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, SHIPYARD_URL: first.url, SHIPYARD_TOKEN: first.token, NO_COLOR: "1" };
    const follow = runCli(["logs", "-f", run.id, "--json"], { env, guardMs: 120_000 });
    await waitFor(() => exists(path.join(marks, "slow-started")), 30_000, "step slow to start");

    process.kill(first.child.pid!, "SIGTERM");
    expect(await exitWithin(first.exited, STOP_BOUND_MS)).toBe(0);
    const second = await startUp(dataDir, ports);
    procs.push(second);

    const result = await follow;
    expect(result.code).toBe(0);
    expect(result.stderr.match(/server went away; waiting for it to come back/g)).toHaveLength(1);
    const printed = result.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { seq: number; type: string });
    const stored = (await api(second, "GET", `/operations/${run.id}/events?limit=5000`)).events as { seq: number }[];
    expect(printed.at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded" } });
    expect(printed.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
    expect(printed.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1));

    process.kill(second.child.pid!, "SIGTERM");
    expect(await exitWithin(second.exited, STOP_BOUND_MS)).toBe(0);
  });

  it("`npm start`: a SIGTERM to the npm process (what a process manager sends) stops the whole tree", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-npm-"));
    const ports = await reservePorts();
    let out = "";
    const npm = spawn("npm", ["start"], {
      cwd: REPO,
      env: {
        ...process.env,
        SHIPYARD_DATA_DIR: dataDir,
        SHIPYARD_PORT: String(ports.port),
        SHIPYARD_PG_PORT: String(ports.pgPort),
        SHIPYARD_LOG_LEVEL: "warn",
        npm_config_update_notifier: "false",
      },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const handle: UpProcess = {
      child: npm,
      url: `http://127.0.0.1:${ports.port}`,
      token: "",
      output: () => out,
      exited: new Promise((resolve) => npm.once("exit", (code) => resolve(code))),
    };
    procs.push(handle);
    npm.stdout.on("data", (d: Buffer) => (out += d.toString()));
    npm.stderr.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor(
      async () => {
        if (npm.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
        return out.includes("Shipyard is up") && (await fetch(`${handle.url}/readyz`).catch(() => null))?.status === 200;
      },
      60_000,
      "npm start to be up",
    );
    const tree = snapshotTree(npm.pid!);
    expect(tree.some((p) => p.cmd.includes("shipyard.js up"))).toBe(true);
    expect(tree.some((p) => p.cmd.includes("shipyard.js runner"))).toBe(true);

    process.kill(npm.pid!, "SIGTERM");
    expect(await exitWithin(handle.exited, STOP_BOUND_MS)).not.toBe("still running");
    await waitFor(async () => survivors(tree).length === 0, STOP_BOUND_MS, "every process npm started to be gone").catch(() => {
      throw new Error(`left behind: ${JSON.stringify(survivors(tree))}`);
    });
  });
});
