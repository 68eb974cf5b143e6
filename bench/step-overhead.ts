// (a) Per-step overhead: a workflow of 20 sequential `true` steps through the whole product (HTTP, DBOS
// run workflow, dispatch, WebSocket, runner process, bash), against the floor of a bare DBOS workflow of 20
// no-op steps on the same PostgreSQL in a separate process.
import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { ensureDatabase } from "../src/db/embedded.ts";
import {
  countStatements,
  followEvents,
  lastJsonLine,
  main,
  median,
  ROOT,
  round,
  report,
  sleep,
  runTsChild,
  startBenchShipyard,
  submitRun,
  wallMs,
  type BenchShipyard,
  type ReceivedEvent,
} from "./lib/common.ts";

const STEPS = 20;
const RUNS = 5;
const IDLE_MS = 2000;

const workflow = [
  "name: step-overhead",
  "steps:",
  ...Array.from({ length: STEPS }, (_, i) => [`  - id: s${i + 1}`, ...(i > 0 ? [`    needs: [s${i}]`] : []), `    run: "true"`]).flat(),
  "",
].join("\n");

interface Sample {
  totalMs: number;
  postMs: number;
  /** POST sent → the run's `running` status event (queue pick-up of the DBOS workflow). */
  pickupMs: number;
  /** Per step: the step's `running` event → its `succeeded` event (server times). */
  cycleMs: number[];
  /** Per step: what the runner reports as the step's own duration (mkdir, spawn bash, wait, read outputs). */
  runnerMs: number[];
  /** Last step's `succeeded` event → `complete` received by the client. */
  tailMs: number;
  /** Steps DBOS recorded for the run's workflow (dbos.operation_outputs). */
  dbosSteps: number;
}

/**
 * Diagnostic only (read-only, not part of the measured path): how many steps DBOS checkpointed for the run's
 * workflow. Results are applied to the run where they arrive (src/runs/arriving-result.ts), so the workflow
 * records about one step (its wait for the run's end), not one per step of the run.
 */
async function dbosStepCount(databaseUrl: string, runId: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const res = await client.query<{ n: number }>("select count(*)::int as n from dbos.operation_outputs where workflow_uuid = $1", [runId]);
    return res.rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

async function sample(s: BenchShipyard): Promise<Sample> {
  const t0 = wallMs();
  const id = await submitRun(s, workflow);
  const postMs = wallMs() - t0;
  const events = await followEvents(s, id);
  const complete = events.at(-1)!;
  if (complete.payload.status !== "succeeded") throw new Error(`run ${id} ended ${complete.payload.status}: ${JSON.stringify(complete.payload)}`);
  const at = (e: ReceivedEvent | undefined) => (e ? Date.parse(e.time) : Number.NaN);
  const stepEvent = (stepId: string, status: string) => events.find((e) => e.type === "step" && e.payload.stepId === stepId && e.payload.status === status);
  const cycleMs: number[] = [];
  const runnerMs: number[] = [];
  for (let i = 1; i <= STEPS; i++) {
    const done = stepEvent(`s${i}`, "succeeded");
    cycleMs.push(at(done) - at(stepEvent(`s${i}`, "running")));
    runnerMs.push(Number(done?.payload.durationMs));
  }
  const started = events.find((e) => e.type === "status" && e.payload.status === "running");
  return {
    dbosSteps: await dbosStepCount(s.databaseUrl, id),
    totalMs: complete.receivedAt - t0,
    postMs,
    pickupMs: at(started) - t0,
    cycleMs,
    runnerMs,
    tailMs: complete.receivedAt - at(stepEvent(`s${STEPS}`, "succeeded")),
  };
}

main("step-overhead", async () => {
  const s = await startBenchShipyard();
  await sample(s); // warm-up
  const statements = countStatements();
  // Background statements (DBOS queue polling every 25 ms, the scheduler) go on with nothing to do:
  // measure their rate while idle and take them out of the per-step figure.
  const idle0 = statements();
  await sleep(IDLE_MS);
  const idlePerMs = (statements() - idle0) / IDLE_MS;
  const samples: Sample[] = [];
  const sqlPerStep: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const before = statements();
    const sample1 = await sample(s);
    samples.push(sample1);
    // Statements this process sent during the run (server and DBOS; includes the few of the bench's POST,
    // SSE request and its diagnostic read of dbos.operation_outputs), less the idle background.
    sqlPerStep.push((statements() - before - idlePerMs * sample1.totalMs) / STEPS);
  }

  // The bare DBOS floor: same PostgreSQL server, a database of its own, its own process.
  const adminUrl = new URL(s.databaseUrl);
  adminUrl.pathname = "/postgres";
  const dbName = `bench_bare_${randomBytes(4).toString("hex")}`;
  await ensureDatabase(adminUrl.toString(), dbName);
  const bareUrl = new URL(s.databaseUrl);
  bareUrl.pathname = `/${dbName}`;
  const floor = async (kind: "noop" | "bash" | "bwrap") =>
    lastJsonLine(
      await runTsChild(path.join(ROOT, "bench", "lib", "bare-dbos.ts"), [], {
        BENCH_DBOS_URL: bareUrl.toString(),
        BENCH_STEPS: String(STEPS),
        BENCH_RUNS: String(RUNS),
        BENCH_STEP_KIND: kind,
      }),
    );
  const bare = await floor("noop");
  const bash = await floor("bash");
  const bwrap = await floor("bwrap");

  const totals = samples.map((x) => x.totalMs);
  const msPerStep = median(totals) / STEPS;
  const bareMsPerStep = Number(bare.msPerStep);
  const ratio = msPerStep / bareMsPerStep;
  const allCycles = samples.flatMap((x) => x.cycleMs);
  const allRunner = samples.flatMap((x) => x.runnerMs);
  const cycle = median(allCycles);
  const runner = median(allRunner);
  const fmt = (xs: number[]) => xs.map((x) => round(x)).join(", ");
  report(
    "step-overhead",
    [
      `Shipyard: ${STEPS} sequential \`true\` steps, ${RUNS} runs after 1 warm-up (POST → complete over SSE)`,
      `  run totals ms:           ${fmt(totals)}`,
      `  ms per step (median):    ${round(msPerStep, 2)}`,
      `bare DBOS: ${STEPS} no-op steps in one workflow, same PostgreSQL, own process and database`,
      `  run totals ms:           ${fmt(bare.totalsMs as number[])}`,
      `  ms per step (median):    ${round(bareMsPerStep, 2)}   (empty workflow ${bare.emptyWorkflowMs} ms; marginal per step ${bare.marginalMsPerStep} ms)`,
      `ratio Shipyard / bare DBOS: ${round(ratio, 1)}x`,
      `bare DBOS, each step spawning \`bash -c true\` (the floor of a shell step): ${bash.msPerStep} ms per step; ` +
        `Shipyard / that floor: ${round(msPerStep / Number(bash.msPerStep), 2)}x (target ≤ 2x)`,
      `bare DBOS, each step spawning it in the step sandbox (bwrap, as the runner does): ${bwrap.msPerStep} ms per step; ` +
        `Shipyard / that floor: ${round(msPerStep / Number(bwrap.msPerStep), 2)}x`,
      `where a Shipyard step's time goes (medians over all steps of all runs):`,
      `  step cycle (running event → succeeded event, server clock): ${round(cycle, 1)} ms`,
      `    runner-side execution (mkdir, spawn bash, exit, outputs): ${round(runner, 1)} ms`,
      `    the rest (result frame → the gateway's advance tx: settle, place the next → handed to the gateway → WebSocket → runner): ${round(cycle - runner, 1)} ms`,
      `  steps DBOS checkpointed per run of ${STEPS} steps: ${median(samples.map((x) => x.dbosSteps))} (the run workflow waits for the run's end; results are applied where they arrive)`,
      `  SQL statements sent by the server process per step: ${round(median(sqlPerStep), 1)} ` +
        `(idle background of ${round(idlePerMs * 1000)} statements/s, from DBOS queue polling, subtracted)`,
      `  per run: POST ${round(median(samples.map((x) => x.postMs)))} ms, queue pick-up ${round(median(samples.map((x) => x.pickupMs)))} ms (after POST sent), ` +
        `last step → complete at client ${round(median(samples.map((x) => x.tailMs)))} ms`,
    ],
    {
      steps: STEPS,
      runs: RUNS,
      totalsMs: totals.map((t) => round(t)),
      msPerStep: round(msPerStep, 2),
      bareDbosMsPerStep: round(bareMsPerStep, 2),
      bareDbosEmptyWorkflowMs: bare.emptyWorkflowMs,
      ratio: round(ratio, 2),
      bashFloorMsPerStep: bash.msPerStep,
      ratioToBashFloor: round(msPerStep / Number(bash.msPerStep), 2),
      bwrapFloorMsPerStep: bwrap.msPerStep,
      ratioToBwrapFloor: round(msPerStep / Number(bwrap.msPerStep), 2),
      stepCycleMs: round(cycle, 2),
      runnerExecMs: round(runner, 2),
      orchestrationMs: round(cycle - runner, 2),
      pickupMs: round(median(samples.map((x) => x.pickupMs)), 1),
      sqlPerStep: round(median(sqlPerStep), 1),
      idleSqlPerSec: round(idlePerMs * 1000),
      dbosStepsPerRun: median(samples.map((x) => x.dbosSteps)),
    },
  );
});
