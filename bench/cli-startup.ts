// CLI start-up: `shipyard --help` and `shipyard runs` (against a running server, 20 runs to list) as real child
// processes, beside `node -e 0` as the floor. Wall time is measured here around each spawn; peak RSS and CPU
// come from GNU time (/usr/bin/time -f, the child's own rusage). The compiled CLI is built first (`npm run
// build:cli`, as `npm install` does), then measured as installed, run directly from dist/cli (the difference is
// the cost of bin/shipyard.js checking that the build is current), and from the sources (SHIPYARD_FROM_SOURCE=1:
// what a checkout with edited sources runs until the next build).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { BIN, main, median, report, ROOT, round, startBenchShipyard, submitRun, tempDir, waitUntil, wallMs } from "./lib/common.ts";

const SAMPLES = 11;
const RUNS_TO_LIST = 20;

interface Sample {
  wallMs: number;
  cpuMs: number;
  rssKb: number;
}

/** One spawn of `argv` under GNU time: wall time from spawn to exit, its CPU and peak RSS. */
function measureOnce(argv: string[], env: Record<string, string>, timesFile: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = wallMs();
    const child = spawn("/usr/bin/time", ["-f", "%U %S %M", "-o", timesFile, ...argv], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      const wall = wallMs() - started;
      if (code !== 0) return reject(new Error(`${argv.join(" ")} exited with ${code}: ${stderr}`));
      const [user, sys, rss] = readFileSync(timesFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
      resolve({ wallMs: wall, cpuMs: (user! + sys!) * 1000, rssKb: rss! });
    });
  });
}

/** Medians over SAMPLES spawns (after one unmeasured warm-up, which fills the page cache). */
async function measure(argv: string[], env: Record<string, string>, timesFile: string): Promise<Sample> {
  await measureOnce(argv, env, timesFile);
  const samples: Sample[] = [];
  for (let i = 0; i < SAMPLES; i++) samples.push(await measureOnce(argv, env, timesFile));
  return { wallMs: round(median(samples.map((s) => s.wallMs))), cpuMs: round(median(samples.map((s) => s.cpuMs))), rssKb: median(samples.map((s) => s.rssKb)) };
}

main("cli-startup", async () => {
  const built = await new Promise<number | null>((resolve) => spawn("npm", ["run", "--silent", "build:cli"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] }).once("exit", resolve));
  if (built !== 0) throw new Error(`npm run build:cli exited with ${built}`);

  const s = await startBenchShipyard();
  const ids: string[] = [];
  for (let i = 0; i < RUNS_TO_LIST; i++) ids.push(await submitRun(s, `name: listed\nsteps:\n  - id: a\n    run: "true"\n`));
  await waitUntil(async () => (await s.api("GET", `/runs?limit=${RUNS_TO_LIST}`)).body.runs.every((r: { status: string }) => r.status === "succeeded"), 60_000, "the runs to finish");

  const timesFile = path.join(tempDir("shipyard-bench-cli-"), "times");
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1", SHIPYARD_URL: s.url, SHIPYARD_TOKEN: s.adminToken };
  const node = process.execPath;
  const distMain = path.join(ROOT, "dist", "cli", "main.js");
  const floor = await measure([node, "-e", "0"], env, timesFile);
  const help = await measure([node, BIN, "--help"], env, timesFile);
  const runs = await measure([node, BIN, "runs"], env, timesFile);
  const helpDirect = await measure([node, distMain, "--help"], env, timesFile);
  const helpSource = await measure([node, BIN, "--help"], { ...env, SHIPYARD_FROM_SOURCE: "1" }, timesFile);
  const runsSource = await measure([node, BIN, "runs"], { ...env, SHIPYARD_FROM_SOURCE: "1" }, timesFile);

  const ratio = (a: number, b: number) => round(a / b, 2);
  const figures = {
    floorMs: floor.wallMs,
    floorRssKb: floor.rssKb,
    helpMs: help.wallMs,
    helpCpuMs: help.cpuMs,
    helpRssKb: help.rssKb,
    helpToFloor: ratio(help.wallMs, floor.wallMs),
    helpRssToFloor: ratio(help.rssKb, floor.rssKb),
    runsMs: runs.wallMs,
    runsCpuMs: runs.cpuMs,
    runsRssKb: runs.rssKb,
    runsToFloor: ratio(runs.wallMs, floor.wallMs),
    runsRssToFloor: ratio(runs.rssKb, floor.rssKb),
    freshnessCheckMs: round(help.wallMs - helpDirect.wallMs),
    helpFromSourceMs: helpSource.wallMs,
    helpFromSourceRssKb: helpSource.rssKb,
    runsFromSourceMs: runsSource.wallMs,
  };
  const line = (what: string, m: Sample) => `${what.padEnd(34)} ${String(m.wallMs).padStart(6)} ms wall ${String(m.cpuMs).padStart(6)} ms CPU ${String(Math.round(m.rssKb / 1024)).padStart(4)} MB peak RSS`;
  report(
    "cli-startup",
    [
      `medians of ${SAMPLES} spawns each; \`runs\` lists ${RUNS_TO_LIST} runs from a live server`,
      line("node -e 0 (floor)", floor),
      line("shipyard --help", help) + `  (${figures.helpToFloor}x wall, ${figures.helpRssToFloor}x RSS of the floor)`,
      line("shipyard runs", runs) + `  (${figures.runsToFloor}x wall, ${figures.runsRssToFloor}x RSS of the floor)`,
      line("node dist/cli/main.js --help", helpDirect) + `  (bin's build check: ${figures.freshnessCheckMs} ms)`,
      line("shipyard --help, from the sources", helpSource),
      line("shipyard runs, from the sources", runsSource),
    ],
    figures,
  );
});
