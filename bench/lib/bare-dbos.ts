// The bare DBOS floors for bench/step-overhead.ts, run as their own process (DBOS is a process singleton): a
// DBOS workflow of N sequential steps on the given system database, called directly (no queue, no result
// polling). BENCH_STEP_KIND picks what each step does: `noop` (a checkpoint), `bash` (a checkpoint plus
// `bash -c true`, the floor of a shell step) or `bwrap` (the same inside the bubblewrap sandbox every Shipyard
// step runs in, as the runner starts it). Prints one JSON line: {"bench": "bare-dbos", kind, msPerStep, ...}.
//   usage: tsx bench/lib/bare-dbos.ts   (env BENCH_DBOS_URL, BENCH_STEPS, BENCH_RUNS, BENCH_STEP_KIND)
import { DBOS } from "@dbos-inc/dbos-sdk";
import { median, round } from "./common.ts";
import { spawnFloorStep, type FloorKind } from "./floor-step.ts";

const url = process.env.BENCH_DBOS_URL;
if (!url) throw new Error("BENCH_DBOS_URL is required");
const steps = Number(process.env.BENCH_STEPS ?? "20");
const runs = Number(process.env.BENCH_RUNS ?? "5");
const kind = (process.env.BENCH_STEP_KIND ?? "noop") as FloorKind | "noop";
const quiet = () => undefined;
const stepBody = kind === "noop" ? async (i: number) => i : await spawnFloorStep(kind);

async function chainImpl(n: number): Promise<number> {
  for (let i = 0; i < n; i++) await DBOS.runStep(() => stepBody(i), { name: `${kind}-${i}` });
  return n;
}
const chain = DBOS.registerWorkflow(chainImpl, { name: "bench.chain" });

DBOS.setConfig({
  name: "shipyard-bench-bare",
  systemDatabaseUrl: url,
  applicationVersion: "bench-1",
  logger: { info: quiet, debug: quiet, warn: (e: unknown) => process.stderr.write(`dbos: ${String(e)}\n`), error: (e: unknown) => process.stderr.write(`dbos: ${String(e)}\n`) },
});
const launchStart = performance.now();
await DBOS.launch();
const launchMs = performance.now() - launchStart;

const time = async (n: number) => {
  const t0 = performance.now();
  await chain(n);
  return performance.now() - t0;
};

await time(steps); // warm-up
const totals: number[] = [];
for (let i = 0; i < runs; i++) totals.push(await time(steps));
// A workflow with no steps: the fixed cost of a workflow (status rows) that the per-step figure includes.
const empties: number[] = [];
for (let i = 0; i < runs; i++) empties.push(await time(0));
await DBOS.shutdown();

const msPerStep = median(totals) / steps;
process.stdout.write(
  JSON.stringify({
    bench: "bare-dbos",
    kind,
    steps,
    runs,
    launchMs: round(launchMs),
    totalsMs: totals.map((t) => round(t)),
    msPerStep: round(msPerStep, 2),
    emptyWorkflowMs: round(median(empties), 2),
    marginalMsPerStep: round((median(totals) - median(empties)) / steps, 2),
  }) + "\n",
);
process.exit(0);
