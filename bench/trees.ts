// The social-world tree (examples/trees/social-world.yaml, seed 004's Aeries demo) end to end on its cassettes:
// a project from the world template and its first deploy, three Architect turns, the blueprint's build and the
// check that the published agents move, run RUNS times, each on a new project. Prints the run's time from
// POST /runs to its end (p50) and where it goes: the first deploy, the three turns, the build, the checks.
//   tsx bench/trees.ts
import { readFileSync } from "node:fs";
import path from "node:path";
import { main, median, report, ROOT, round, startBenchShipyard, submitRun, waitUntil, wallMs } from "./lib/common.ts";

const RUNS = 2;
const TREE = readFileSync(path.join(ROOT, "examples", "trees", "social-world.yaml"), "utf8");

interface StepView {
  id: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Milliseconds from the first of `ids` starting to the last of them finishing. */
function spanMs(steps: StepView[], ids: string[]): number {
  const mine = steps.filter((st) => ids.includes(st.id));
  const start = Math.min(...mine.map((st) => Date.parse(st.startedAt!)));
  const end = Math.max(...mine.map((st) => Date.parse(st.finishedAt!)));
  return end - start;
}

main("trees", async () => {
  const s = await startBenchShipyard();
  const totals: number[] = [];
  const parts = { deploy: [] as number[], turns: [] as number[], build: [] as number[], check: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    const t0 = wallMs();
    const id = await submitRun(s, TREE, { project: `aeries-${i}` });
    const run = await waitUntil(async () => {
      const r = (await s.api("GET", `/runs/${id}`)).body;
      return ["succeeded", "failed", "cancelled"].includes(r.status) ? r : null;
    }, 600_000, `the tree's run ${id}`, 100);
    if (run.status !== "succeeded") throw new Error(`the tree ${run.status}: ${JSON.stringify(run.steps.filter((st: StepView) => st.status !== "succeeded"))}`);
    totals.push(wallMs() - t0);
    parts.deploy.push(spanMs(run.steps, ["project", "spawn", "live"]));
    parts.turns.push(spanMs(run.steps, ["blueprint", "agents", "proximity", "bubbles"]));
    parts.build.push(spanMs(run.steps, ["build", "built"]));
    parts.check.push(spanMs(run.steps, ["page", "main", "world", "talk", "moving"]));
  }
  const m = (v: number[]) => round(median(v));
  report(
    "trees",
    [
      `  the social-world tree on its cassettes, ${RUNS} runs, each on a new project: POST /runs → succeeded p50 ${m(totals)} ms`,
      `  of it (medians): project and first deploy ${m(parts.deploy)} ms, three Architect turns ${m(parts.turns)} ms, the blueprint's build ${m(parts.build)} ms, fetching and checking the preview ${m(parts.check)} ms`,
    ],
    { runs: RUNS, socialWorldMs: m(totals), firstDeployMs: m(parts.deploy), turnsMs: m(parts.turns), buildMs: m(parts.build), checkMs: m(parts.check) },
  );
});
