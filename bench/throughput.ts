// (b) Throughput: 200 one-step runs (`run: "true"`) submitted at once (concurrent POSTs), timed until all
// have succeeded. Measured once per local-runner slot count, each in a process of its own (DBOS is a process
// singleton) with its own embedded PostgreSQL:
//   tsx bench/throughput.ts                 both slot counts, summary and JSON line
//   tsx bench/throughput.ts --slots 32      one measurement (prints only its JSON line)
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  countStatements,
  cpuBetween,
  cpuSnapshot,
  lastJsonLine,
  main,
  median,
  percentile,
  report,
  ROOT,
  round,
  runTsChild,
  sleep,
  startBenchShipyard,
  submitRun,
  wallMs,
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
}

/** Submit `n` runs at once and wait until none of them is pending or running. */
async function batch(s: BenchShipyard, n: number): Promise<Batch> {
  const t0 = wallMs();
  const ids = new Set(await Promise.all(Array.from({ length: n }, () => submitRun(s, workflow))));
  const submitMs = wallMs() - t0;
  let polls = 0;
  // Cheap polls (is any run still pending or running?), so that watching costs the server little; the
  // runs themselves are read once at the end.
  const unfinished = async () => {
    polls += 2;
    const [pending, running] = await Promise.all([s.api("GET", "/runs?status=pending&limit=1"), s.api("GET", "/runs?status=running&limit=1")]);
    return pending.body.runs.length + running.body.runs.length;
  };
  for (const deadline = Date.now() + 120_000; (await unfinished()) > 0; ) {
    if (Date.now() > deadline) throw new Error("runs still unfinished after 120 s");
    await sleep(POLL_MS);
  }
  const observedMs = wallMs() - t0;
  const runs = ((await s.api("GET", "/runs?limit=500")).body.runs as { id: string; status: string; createdAt: string; finishedAt: string | null }[]).filter((r) => ids.has(r.id));
  if (runs.length !== n) throw new Error(`only ${runs.length} of ${n} runs listed`);
  const finished = runs.map((r) => Date.parse(r.finishedAt!));
  return {
    submitMs,
    observedMs,
    lastFinishedMs: Math.max(...finished) - t0,
    firstFinishedMs: Math.min(...finished) - t0,
    latencies: runs.map((r) => Date.parse(r.finishedAt!) - Date.parse(r.createdAt)),
    failed: runs.filter((r) => r.status !== "succeeded").length,
    polls,
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
  const cpu0 = cpuSnapshot(s);
  const sql0 = statements();
  const b = await batch(s, RUNS);
  const cpu = cpuBetween(cpu0, cpuSnapshot(s), b.observedMs);
  // Without the statements of this bench's own GET /runs polls and the idle background.
  const sql = statements() - sql0 - b.polls * perPoll - idlePerMs * b.observedMs;
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
    for (const kind of ["bash", "bwrap"]) {
      floors[kind] = lastJsonLine(await runTsChild(path.join(ROOT, "bench", "lib", "floor-queue.ts"), [], { BENCH_RUNS: String(RUNS), BENCH_STEP_KIND: kind }));
    }
    const lines = [
      `${RUNS} one-step runs (run: "true") POSTed at once, after ${WARMUP_RUNS} warm-up runs; target ≥ 0.5x the floor`,
      `floor: ${RUNS} one-step DBOS workflows through a queue, each step spawning bash: ${floors.bash.runsPerSec}/s; in the step sandbox: ${floors.bwrap.runsPerSec}/s`,
    ];
    for (const r of results) {
      lines.push(
        `slots ${String(r.slots).padStart(2)}: ${r.runsPerSec} runs/s  (all ${RUNS} succeeded after ${r.totalMs} ms as seen by polling GET /runs?status=pending|running every ${POLL_MS} ms` +
          `${r.failed ? `; ${r.failed} NOT succeeded` : ""})`,
        `          POSTs all answered after ${r.submitMs} ms; first run finished at ${r.firstFinishedMs} ms, last at ${r.lastFinishedMs} ms (server clock) = ${r.runsPerSecServer} runs/s`,
        `          per-run latency created → finished: p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms`,
        `          ${r.cpu}`,
        `          CPU per run: server+client ${r.cpuMsPerRun.node} ms, runner+bash ${r.cpuMsPerRun.runner} ms, PostgreSQL ${r.cpuMsPerRun.postgres} ms; ` +
          `SQL statements sent by the server process per run: ${r.sqlPerRun} (not counting this bench's polls and the idle background of ${r.idleSqlPerSec}/s)`,
        `          Shipyard / floor: ${round(r.runsPerSec / floors.bash.runsPerSec, 2)}x (sandboxed floor: ${round(r.runsPerSec / floors.bwrap.runsPerSec, 2)}x)`,
      );
    }
    const figures: Record<string, unknown> = { runs: RUNS, floorRunsPerSec: floors.bash.runsPerSec, sandboxedFloorRunsPerSec: floors.bwrap.runsPerSec };
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
