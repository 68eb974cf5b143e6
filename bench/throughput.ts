// (b) Throughput: 200 one-step runs (`run: "true"`) submitted at once (concurrent POSTs from a client process of
// its own over 16 keep-alive connections, bench/lib/post-batch.ts), timed until all have succeeded. Measured once per local-runner slot count,
// each in a process of its own (DBOS is a process singleton) with its own embedded PostgreSQL:
//   tsx bench/throughput.ts                 both slot counts, summary and JSON line
//   tsx bench/throughput.ts --slots 32      one measurement (prints only its JSON line)
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import {
  countStatements,
  cpuBetween,
  cpuSnapshot,
  lastJsonLine,
  main,
  onCleanup,
  median,
  percentile,
  report,
  ROOT,
  round,
  runTsChild,
  sleep,
  startBenchShipyard,
  type BenchShipyard,
} from "./lib/common.ts";

const RUNS = 200;
const WARMUP_RUNS = 20;
const SLOT_COUNTS = [8, 32];
const POLL_MS = 25;
const IDLE_MS = 2000;

const workflow = ["name: throughput", "steps:", "  - id: only", `    run: "true"`, ""].join("\n");

interface Batch {
  submitMs: number;
  observedMs: number;
  lastFinishedMs: number;
  firstFinishedMs: number;
  latencies: number[];
  failed: number;
  polls: number;
  clientCpuS: number;
}

/** The client process (bench/lib/post-batch.ts), started and ready to POST `n` runs when told. */
async function readyClient(s: BenchShipyard, n: number): Promise<{ go: () => Promise<Record<string, any>> }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "bench", "lib", "post-batch.ts")], {
    cwd: ROOT,
    env: { ...process.env, BENCH_API: `${s.url}/api/v1`, BENCH_TOKEN: s.adminToken, BENCH_RUNS: String(n), BENCH_WORKFLOW: workflow, BENCH_POLL_MS: String(POLL_MS) },
    stdio: ["pipe", "pipe", "inherit"],
  });
  onCleanup(() => {
    child.kill("SIGTERM");
  });
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.startsWith("ready\n")) resolve();
    });
    void exited.then((code) => reject(new Error(`the client exited (${code}) before it was ready`)));
  });
  return {
    go: async () => {
      child.stdin.write("go\n");
      const code = await exited;
      if (code !== 0) throw new Error(`the client exited with ${code}:\n${out}`);
      return lastJsonLine(out);
    },
  };
}

/** Submit `n` runs at once from the client process and wait until none of them is pending or running. */
async function batch(s: BenchShipyard, n: number, window: { begin?: () => void; end?: () => void } = {}): Promise<Batch> {
  const client = await readyClient(s, n);
  window.begin?.();
  const r = await client.go();
  window.end?.();
  const ids = new Set(r.ids as string[]);
  const runs = ((await s.api("GET", "/runs?limit=500")).body.runs as { id: string; status: string; createdAt: string; finishedAt: string | null }[]).filter((x) => ids.has(x.id));
  if (runs.length !== n) throw new Error(`only ${runs.length} of ${n} runs listed`);
  const finished = runs.map((x) => Date.parse(x.finishedAt!));
  return {
    submitMs: r.submitMs,
    observedMs: r.observedMs,
    lastFinishedMs: Math.max(...finished) - r.startedAt,
    firstFinishedMs: Math.min(...finished) - r.startedAt,
    latencies: runs.map((x) => Date.parse(x.finishedAt!) - Date.parse(x.createdAt)),
    failed: runs.filter((x) => x.status !== "succeeded").length,
    polls: r.polls,
    clientCpuS: r.clientCpuS,
  };
}

async function measure(slots: number): Promise<void> {
  const s = await startBenchShipyard({ SHIPYARD_RUNNER_SLOTS: String(slots) });
  await batch(s, WARMUP_RUNS);
  const statements = countStatements();
  const before = statements();
  await s.api("GET", "/runs?status=running&limit=1");
  const perPoll = statements() - before;
  // Background statements (DBOS queue polling every 25 ms, the scheduler) go on with nothing to do.
  const idle0 = statements();
  await sleep(IDLE_MS);
  const idlePerMs = (statements() - idle0) / IDLE_MS;
  let cpu0 = cpuSnapshot(s);
  let cpu1 = cpu0;
  let sql0 = 0;
  let sql1 = 0;
  const b = await batch(s, RUNS, {
    begin: () => {
      cpu0 = cpuSnapshot(s);
      sql0 = statements();
    },
    end: () => {
      cpu1 = cpuSnapshot(s);
      sql1 = statements();
    },
  });
  const cpu = cpuBetween(cpu0, cpu1, b.observedMs, "server process");
  // Without the statements of this bench's own GET /runs polls and the idle background.
  const sql = sql1 - sql0 - b.polls * perPoll - idlePerMs * b.observedMs;
  process.stdout.write(
    JSON.stringify({
      bench: "throughput-slots",
      slots,
      runs: RUNS,
      failed: b.failed,
      submitMs: round(b.submitMs),
      totalMs: round(b.observedMs),
      runsPerSec: round((RUNS * 1000) / b.observedMs),
      lastFinishedMs: round(b.lastFinishedMs),
      runsPerSecServer: round((RUNS * 1000) / b.lastFinishedMs),
      firstFinishedMs: round(b.firstFinishedMs),
      latencyP50Ms: round(median(b.latencies)),
      latencyP99Ms: round(percentile(b.latencies, 99)),
      sqlPerRun: round(sql / RUNS, 1),
      idleSqlPerSec: round(idlePerMs * 1000),
      cpu: cpu.text,
      cpuMsPerRun: {
        node: round((cpu.nodeS * 1000) / RUNS),
        runner: round((cpu.runnerS * 1000) / RUNS),
        postgres: round((cpu.postgresS * 1000) / RUNS),
      },
      coresBusy: cpu.coresBusy,
      clientCpuMsPerRun: round((b.clientCpuS * 1000) / RUNS),
    }) + "\n",
  );
}

const slotsArg = process.argv.indexOf("--slots");
if (slotsArg >= 0) {
  main("throughput", () => measure(Number(process.argv[slotsArg + 1])));
} else {
  main("throughput", async () => {
    const results: Record<string, any>[] = [];
    for (const slots of SLOT_COUNTS) {
      results.push(lastJsonLine(await runTsChild(fileURLToPath(import.meta.url), ["--slots", String(slots)])));
    }
    // The floor: bare DBOS workflows of one step spawning bash (and the same in the step sandbox), on a queue.
    const floors: Record<string, any> = {};
    for (const kind of ["noop", "bash", "bwrap"]) {
      floors[kind] = lastJsonLine(await runTsChild(path.join(ROOT, "bench", "lib", "floor-queue.ts"), [], { BENCH_RUNS: String(RUNS), BENCH_STEP_KIND: kind }));
    }
    const lines = [
      `${RUNS} one-step runs (run: "true") POSTed at once (16 keep-alive connections), after ${WARMUP_RUNS} warm-up runs; target ≥ 0.5x the floor`,
      `floor: ${RUNS} one-step DBOS workflows through a queue, each step spawning bash: ${floors.bash.runsPerSec}/s; in the step sandbox: ${floors.bwrap.runsPerSec}/s; ` +
        `a no-op step: ${floors.noop.runsPerSec}/s`,
    ];
    for (const r of results) {
      lines.push(
        `slots ${String(r.slots).padStart(2)}: ${r.runsPerSec} runs/s  (all ${RUNS} succeeded after ${r.totalMs} ms as seen by polling GET /runs?status=pending|running every ${POLL_MS} ms` +
          `${r.failed ? `; ${r.failed} NOT succeeded` : ""})`,
        `          POSTs all answered after ${r.submitMs} ms; first run finished at ${r.firstFinishedMs} ms, last at ${r.lastFinishedMs} ms (server clock) = ${r.runsPerSecServer} runs/s`,
        `          per-run latency created → finished: p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms`,
        `          ${r.cpu}`,
        `          CPU per run: server ${r.cpuMsPerRun.node} ms (the client process ${r.clientCpuMsPerRun} ms), runner+bash ${r.cpuMsPerRun.runner} ms, PostgreSQL ${r.cpuMsPerRun.postgres} ms; ` +
          `SQL statements sent by the server process per run: ${r.sqlPerRun} (not counting this bench's polls and the idle background of ${r.idleSqlPerSec}/s)`,
        `          Shipyard / floor: ${round(r.runsPerSec / floors.bash.runsPerSec, 2)}x (sandboxed floor: ${round(r.runsPerSec / floors.bwrap.runsPerSec, 2)}x; ` +
          `no-op floor: ${round(r.runsPerSec / floors.noop.runsPerSec, 2)}x)`,
      );
    }
    const figures: Record<string, unknown> = {
      runs: RUNS,
      floorRunsPerSec: floors.bash.runsPerSec,
      sandboxedFloorRunsPerSec: floors.bwrap.runsPerSec,
      noopFloorRunsPerSec: floors.noop.runsPerSec,
    };
    for (const r of results) {
      figures[`runsPerSec_slots${r.slots}`] = r.runsPerSec;
      figures[`ratioToFloor_slots${r.slots}`] = round(r.runsPerSec / floors.bash.runsPerSec, 2);
      figures[`totalMs_slots${r.slots}`] = r.totalMs;
      figures[`submitMs_slots${r.slots}`] = r.submitMs;
      figures[`latencyP99Ms_slots${r.slots}`] = r.latencyP99Ms;
      figures[`failed_slots${r.slots}`] = r.failed;
      figures[`coresBusy_slots${r.slots}`] = r.coresBusy;
      figures[`sqlPerRun_slots${r.slots}`] = r.sqlPerRun;
    }
    report("throughput", lines, figures);
  });
}
