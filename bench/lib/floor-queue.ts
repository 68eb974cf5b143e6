// The throughput floor for bench/throughput.ts, as its own process (DBOS is a process singleton) on an embedded
// PostgreSQL of its own: N one-step DBOS workflows, each step spawning `bash -c true` (or, with
// BENCH_STEP_KIND=bwrap, the same in the step sandbox; noop: nothing but the checkpoint), enqueued at once on a DBOS queue (worker concurrency 32,
// polled every 20 ms), timed until every one has finished. Prints one JSON line: {"bench": "floor-queue", ...}.
//   usage: tsx bench/lib/floor-queue.ts   (env BENCH_RUNS, default 200; BENCH_STEP_KIND noop | bash | bwrap)
import path from "node:path";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { startEmbeddedPostgres } from "../../src/db/embedded.ts";
import { createLogger } from "../../src/logger.ts";
import { round, tempDir } from "./common.ts";
import { spawnFloorStep, type FloorKind } from "./floor-step.ts";

const runs = Number(process.env.BENCH_RUNS ?? "200");
const kind = (process.env.BENCH_STEP_KIND ?? "bash") as FloorKind | "noop";
const quiet = () => undefined;
const step = kind === "noop" ? async (i: number) => i : await spawnFloorStep(kind);

const QUEUE = "bench-floor";
const oneStep = DBOS.registerWorkflow(async (i: number) => DBOS.runStep(() => step(i), { name: "spawn" }), { name: "bench.one-step" });

const db = await startEmbeddedPostgres({ dir: path.join(tempDir("shipyard-floor-pg-"), "pgdata"), port: 0, database: "floor", log: createLogger("warn") });
DBOS.setConfig({
  name: "shipyard-bench-floor",
  systemDatabaseUrl: db.url,
  applicationVersion: "bench-1",
  logger: { info: quiet, debug: quiet, warn: quiet, error: (e: unknown) => process.stderr.write(`dbos: ${String(e)}\n`) },
});
await DBOS.launch();
await DBOS.registerQueue(QUEUE, { workerConcurrency: 32, minPollingIntervalMs: 20, onConflict: "always_update" });
const batch = async (n: number) => {
  const t0 = performance.now();
  const handles = await Promise.all(Array.from({ length: n }, (_, i) => DBOS.startWorkflow(oneStep, { queueName: QUEUE })(i)));
  await Promise.all(handles.map((h) => h.getResult()));
  return performance.now() - t0;
};
await batch(20); // warm-up
const ms = await batch(runs);
await DBOS.shutdown();
await db.stop();
process.stdout.write(JSON.stringify({ bench: "floor-queue", kind, runs, totalMs: round(ms), runsPerSec: round((runs * 1000) / ms, 1) }) + "\n");
process.exit(0);
