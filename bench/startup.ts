// (d) Start-up time of `node bin/shipyard.js up` as a real child process, from spawn to the first 200 from
// GET /readyz (polled every 20 ms): one cold start (fresh data dir: initdb, migrations, DBOS launch), then
// warm starts on the same data dir. Each start is stopped with SIGINT and waited for before the next.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { freePort } from "../src/db/embedded.ts";
import { BIN, main, median, onCleanup, report, ROOT, round, sleep, tempDir, wallMs } from "./lib/common.ts";

const WARM_SAMPLES = 3;
const POLL_MS = 20;

interface Start {
  readyMs: number;
  /** Milliseconds per start-up phase, from the process's own log lines (pino `time`): see `phaseText`. */
  phases: { boot: number; postgres: number; migrateAndLaunch: number; afterDbos: number };
  stopMs: number;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function startOnce(dataDir: string, ports: { port: number; pgPort: number }): Promise<Start> {
  let out = "";
  const spawnedAt = wallMs();
  const child: ChildProcess = spawn(process.execPath, [BIN, "up"], {
    cwd: ROOT,
    env: {
      ...process.env,
      SHIPYARD_DATA_DIR: dataDir,
      SHIPYARD_PORT: String(ports.port),
      SHIPYARD_PG_PORT: String(ports.pgPort),
      // debug: DBOS's launch messages carry the timestamps the phase breakdown uses.
      SHIPYARD_LOG_LEVEL: "debug",
    },
    detached: true, // a process group of its own: the server, its runner and its PostgreSQL
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid!;
  const killGroup = () => {
    if (alive(-pid)) process.kill(-pid, "SIGKILL");
  };
  onCleanup(killGroup);
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const url = `http://127.0.0.1:${ports.port}/readyz`;
  const readyAt = await (async () => {
    for (const deadline = Date.now() + 120_000; ; ) {
      if (child.exitCode !== null) throw new Error(`shipyard up exited with ${child.exitCode}:\n${out}`);
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) }).catch(() => null);
      await res?.arrayBuffer().catch(() => undefined);
      if (res?.status === 200) return wallMs();
      if (Date.now() > deadline) throw new Error(`no 200 from /readyz after 120 s:\n${out}`);
      await sleep(POLL_MS);
    }
  })();
  const readyMs = readyAt - spawnedAt;
  // Let the local runner come up too, so the stop below is a normal full stop.
  for (const deadline = Date.now() + 30_000; !out.includes('"runner connected"') && Date.now() < deadline; ) await sleep(20);

  const stopAt = wallMs();
  child.kill("SIGINT");
  const timer = setTimeout(killGroup, 30_000);
  await exited;
  clearTimeout(timer);
  const stopMs = wallMs() - stopAt;
  // The process group (runner, PostgreSQL) should be gone with it; wait, then make sure.
  for (let waited = 0; alive(-pid) && waited < 5000; waited += 50) await sleep(50);
  if (alive(-pid)) {
    process.stderr.write(`startup: processes of group ${pid} outlived \`shipyard up\`; killing them\n`);
    killGroup();
  }
  if (existsSync(path.join(dataDir, "pgdata", "postmaster.pid"))) process.stderr.write("startup: postmaster.pid left behind after stop\n");

  // Phases from the JSON log lines (pino `time`, epoch ms).
  const logs = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => {
      try {
        return JSON.parse(l) as { time: number; msg: string; component?: string; ms?: number };
      } catch {
        return null;
      }
    })
    .filter((l) => l !== null);
  const pgLine = logs.find((l) => l.msg === "embedded PostgreSQL started");
  const launched = logs.find((l) => l.msg === "DBOS launched!");
  const pgEnd = pgLine ? pgLine.time : Number.NaN;
  const pgBegin = pgEnd - (pgLine?.ms ?? Number.NaN);
  return {
    readyMs,
    phases: {
      boot: pgBegin - spawnedAt,
      postgres: pgEnd - pgBegin,
      migrateAndLaunch: (launched?.time ?? Number.NaN) - pgEnd,
      afterDbos: readyAt - (launched?.time ?? Number.NaN),
    },
    stopMs,
  };
}

main("startup", async () => {
  const dataDir = tempDir("shipyard-bench-startup-");
  const ports = { port: await freePort(), pgPort: await freePort() };
  const cold = await startOnce(dataDir, ports);
  const warm: Start[] = [];
  for (let i = 0; i < WARM_SAMPLES; i++) warm.push(await startOnce(dataDir, ports));
  const warmMedian = median(warm.map((w) => w.readyMs));
  const phaseText = (s: Start) =>
    `node+tsx boot ${round(s.phases.boot, 0)} | PostgreSQL ${round(s.phases.postgres, 0)} | ` +
    `migrations + admin token + LISTEN + gateway + DBOS launch ${round(s.phases.migrateAndLaunch, 0)} | queues, sweeper, HTTP, first poll ${round(s.phases.afterDbos, 0)}`;
  report(
    "startup",
    [
      `\`node bin/shipyard.js up\` as a child process, spawn → first 200 from GET /readyz (polled every ${POLL_MS} ms)`,
      `cold (fresh data dir: initdb, migrations, DBOS launch): ${round(cold.readyMs, 0)} ms`,
      `  phases ms: ${phaseText(cold)}`,
      `warm (same data dir), ${WARM_SAMPLES} samples: ${warm.map((w) => round(w.readyMs, 0)).join(", ")} ms; median ${round(warmMedian, 0)} ms (target < 3000 ms)`,
      ...warm.map((w, i) => `  #${i + 1} phases ms: ${phaseText(w)}`),
      `stop (SIGINT → process exit): ${[cold, ...warm].map((s) => round(s.stopMs, 0)).join(", ")} ms`,
    ],
    {
      coldMs: round(cold.readyMs, 0),
      warmMs: warm.map((w) => round(w.readyMs, 0)),
      warmMedianMs: round(warmMedian, 0),
      coldPostgresMs: round(cold.phases.postgres, 0),
      warmBootMs: round(median(warm.map((w) => w.phases.boot)), 0),
      warmPostgresMs: round(median(warm.map((w) => w.phases.postgres)), 0),
      warmMigrateAndLaunchMs: round(median(warm.map((w) => w.phases.migrateAndLaunch)), 0),
      stopMs: [cold, ...warm].map((s) => round(s.stopMs, 0)),
    },
  );
});
