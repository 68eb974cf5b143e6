// Run every benchmark, one after the other, each in a process of its own (DBOS is a process singleton),
// then print a summary table. Figures only: a missed target is reported, never a failure; the exit code is
// 1 only when a benchmark itself failed to run.
//   npx tsx bench/run-all.ts                      all of them
//   npx tsx bench/run-all.ts startup throughput   some of them
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./lib/common.ts";

interface Figure {
  label: string;
  value: (r: Record<string, any>) => unknown;
  unit: string;
  target?: { text: string; met: (v: number) => boolean };
}

const BENCHES: { name: string; figures: Figure[] }[] = [
  {
    name: "step-overhead",
    figures: [
      { label: "Shipyard ms per step (20 sequential `true`)", value: (r) => r.msPerStep, unit: "ms" },
      { label: "bare DBOS ms per step (20 no-op steps)", value: (r) => r.bareDbosMsPerStep, unit: "ms" },
      { label: "ratio Shipyard / bare DBOS (no-op steps)", value: (r) => r.ratio, unit: "x" },
      { label: "bare DBOS + bash -c true per step (shell-step floor)", value: (r) => r.bashFloorMsPerStep, unit: "ms" },
      { label: "ratio Shipyard / shell-step floor", value: (r) => r.ratioToBashFloor, unit: "x", target: { text: "≤ 2x", met: (v) => v <= 2 } },
      { label: "bare DBOS + bash in bwrap per step (sandboxed floor)", value: (r) => r.bwrapFloorMsPerStep, unit: "ms" },
      { label: "ratio Shipyard / sandboxed floor", value: (r) => r.ratioToBwrapFloor, unit: "x" },
    ],
  },
  {
    name: "throughput",
    figures: [
      { label: "floor: 200 one-step DBOS workflows spawning bash", value: (r) => r.floorRunsPerSec, unit: "runs/s" },
      { label: "  the same in the step sandbox", value: (r) => r.sandboxedFloorRunsPerSec, unit: "runs/s" },
      { label: "  the same with a no-op step", value: (r) => r.noopFloorRunsPerSec, unit: "runs/s" },
      { label: "200 one-step runs, 8 runner slots", value: (r) => r.runsPerSec_slots8, unit: "runs/s" },
      { label: "  ratio to the floor", value: (r) => r.ratioToFloor_slots8, unit: "x", target: { text: "≥ 0.5x", met: (v) => v >= 0.5 } },
      { label: "200 one-step runs, 32 runner slots", value: (r) => r.runsPerSec_slots32, unit: "runs/s" },
      { label: "  ratio to the floor", value: (r) => r.ratioToFloor_slots32, unit: "x", target: { text: "≥ 0.5x", met: (v) => v >= 0.5 } },
    ],
  },
  {
    name: "event-latency",
    figures: [
      { label: "log line → SSE client, p50", value: (r) => r.p50Ms, unit: "ms" },
      { label: "log line → SSE client, p99", value: (r) => r.p99Ms, unit: "ms", target: { text: "< 100 ms", met: (v) => v < 100 } },
    ],
  },
  {
    name: "build",
    figures: [
      { label: "offline demo build, POST → preview URL, p50 (5 builds)", value: (r) => r.p50Ms, unit: "ms" },
      { label: "  p95", value: (r) => r.p95Ms, unit: "ms" },
      { label: "  platform overhead (all but agent and template commands)", value: (r) => r.overheadMs, unit: "ms", target: { text: "< 2000 ms", met: (v) => v < 2000 } },
    ],
  },
  {
    name: "deployments",
    figures: [
      { label: "generate-mode deployment, POST → generated, less the git push (median of 5)", value: (r) => r.medianMs, unit: "ms" },
      { label: "  p95", value: (r) => r.p95Ms, unit: "ms" },
    ],
  },
  {
    name: "architect",
    figures: [
      { label: "Architect chat turn, all but the model call, p50 (30 turns)", value: (r) => r.turnOverheadMs, unit: "ms" },
      { label: "reference capture of a local page, warm p50 (1920x1080, full page)", value: (r) => r.captureWarmMs, unit: "ms" },
      { label: "  cold (Chromium launched)", value: (r) => r.captureColdMs, unit: "ms" },
      { label: "  its 320x200 thumbnail, p50", value: (r) => r.thumbnailMs, unit: "ms" },
    ],
  },
  {
    name: "trees",
    figures: [
      { label: "social-world tree on cassettes, POST /runs → succeeded, p50 (2 runs)", value: (r) => r.socialWorldMs, unit: "ms" },
      { label: "  project and its first deploy", value: (r) => r.firstDeployMs, unit: "ms" },
      { label: "  three Architect turns", value: (r) => r.turnsMs, unit: "ms" },
      { label: "  the blueprint's build", value: (r) => r.buildMs, unit: "ms" },
      { label: "  fetching the preview and checking the agents move", value: (r) => r.checkMs, unit: "ms" },
    ],
  },
  {
    name: "webhook-latency",
    figures: [
      { label: "run finished → webhook receiver, p50 (200 runs)", value: (r) => r.finishP50Ms, unit: "ms" },
      { label: "run finished → webhook receiver, p99", value: (r) => r.finishP99Ms, unit: "ms" },
      { label: "event emitted → webhook receiver, p50", value: (r) => r.emitP50Ms, unit: "ms" },
      { label: "event emitted → webhook receiver, p99", value: (r) => r.emitP99Ms, unit: "ms" },
      { label: "deliveries with a verified signature, each once", value: (r) => (r.unverified === 0 && r.distinctIds === r.deliveries ? r.deliveries : 0), unit: "deliveries", target: { text: "200", met: (v) => v === 200 } },
    ],
  },
  {
    name: "sse-fanout",
    figures: [
      { label: "SSE followers of one run held (of 200)", value: (r) => r.held_200, unit: "streams" },
      { label: "  with every event once, in order", value: (r) => r.complete_200, unit: "streams", target: { text: "200", met: (v) => v === 200 } },
      { label: "  server RSS per follower", value: (r) => r.rssKbPerSub_200, unit: "KiB" },
      { label: "  server heap per follower", value: (r) => r.heapKbPerSub_200, unit: "KiB" },
      { label: "SSE followers of one run held (of 1000)", value: (r) => r.held_1000, unit: "streams" },
      { label: "  with every event once, in order", value: (r) => r.complete_1000, unit: "streams", target: { text: "1000", met: (v) => v === 1000 } },
      { label: "  server RSS per follower", value: (r) => r.rssKbPerSub_1000, unit: "KiB" },
      { label: "  server heap per follower", value: (r) => r.heapKbPerSub_1000, unit: "KiB" },
    ],
  },
  {
    name: "jobs",
    figures: [
      { label: "100 no-op jobs on 4 runners (1 job each at a time)", value: (r) => r.jobsPerMin, unit: "jobs/min" },
      { label: "jobs not succeeded", value: (r) => r.notSucceeded, unit: "jobs", target: { text: "0", met: (v) => v === 0 } },
      { label: "jobs claimed while their runner was busy", value: (r) => r.overlaps, unit: "jobs", target: { text: "0", met: (v) => v === 0 } },
      { label: "dispatch gap complete → next job running, p50", value: (r) => r.gapP50Ms, unit: "ms", target: { text: "< 200 ms", met: (v) => v < 200 } },
      { label: "dispatch gap complete → next job running, p99", value: (r) => r.gapP99Ms, unit: "ms", target: { text: "< 200 ms", met: (v) => v < 200 } },
      { label: "SIGKILLed runner → offline (max of 5, 1 s pings)", value: (r) => r.killOfflineMaxMs, unit: "ms", target: { text: "≤ 4000 ms (3 pings + 1 s)", met: (v) => v <= 4000 } },
      { label: "SIGSTOPped runner → offline (max of 5, 1 s pings)", value: (r) => r.stopOfflineMaxMs, unit: "ms", target: { text: "≤ 4000 ms (3 pings + 1 s)", met: (v) => v <= 4000 } },
    ],
  },
  {
    name: "agent-overhead",
    figures: [
      { label: "built-in agent ms per tool call (replay, 50 calls)", value: (r) => r.agentMsPerToolCall, unit: "ms" },
      { label: "  of which the tools themselves", value: (r) => r.toolsMsPerToolCall, unit: "ms" },
      { label: "recordUsage per model call, p50", value: (r) => r.usageP50Ms, unit: "ms" },
      { label: "recordUsage per model call, p99", value: (r) => r.usageP99Ms, unit: "ms" },
    ],
  },
  {
    name: "agent-step",
    figures: [{ label: "agent step: ms per tool call via runner + server model endpoint", value: (r) => r.msPerToolCall, unit: "ms" }],
  },
  {
    name: "wide-cancel",
    figures: [
      { label: "cancel of 500 parallel steps → cancelled", value: (r) => r.endMs_500, unit: "ms", target: { text: "≤ 5000 ms", met: (v) => v <= 5000 } },
      { label: "  main steps handed out after it took effect", value: (r) => r.assignedAfterCancel_500, unit: "steps", target: { text: "0", met: (v) => v === 0 } },
      { label: "cancel of 3000 parallel steps → cancelled", value: (r) => r.endMs_3000, unit: "ms", target: { text: "≤ 5000 ms", met: (v) => v <= 5000 } },
      { label: "  main steps handed out after it took effect", value: (r) => r.assignedAfterCancel_3000, unit: "steps", target: { text: "0", met: (v) => v === 0 } },
    ],
  },
  {
    name: "scale-out",
    figures: [
      { label: "200 one-step runs: 1 server, 1 worker", value: (r) => r.runsPerSec_workers1, unit: "runs/s" },
      { label: "200 one-step runs: 1 server, 2 workers", value: (r) => r.runsPerSec_workers2, unit: "runs/s" },
      { label: "a dead worker's workflows taken over after", value: (r) => r.takeoverMs, unit: "ms", target: { text: "≤ 30000 ms", met: (v) => v <= 30_000 } },
    ],
  },
  {
    name: "deploy-generators",
    figures: [
      { label: "helm chart files generated per second", value: (r) => r.helmFilesPerSec, unit: "files/s" },
      { label: "  offline check of one chart", value: (r) => r.helmValidateMs, unit: "ms" },
      { label: "docker-compose files generated per second", value: (r) => r.dockerComposeFilesPerSec, unit: "files/s" },
      { label: "kubernetes manifests generated per second", value: (r) => r.kubernetesFilesPerSec, unit: "files/s" },
      { label: "terraform files generated per second", value: (r) => r.terraformFilesPerSec, unit: "files/s" },
      { label: "  offline check of one module (HCL parse + references)", value: (r) => r.terraformValidateMs, unit: "ms" },
    ],
  },
  {
    name: "cli-startup",
    figures: [
      { label: "node -e 0 (the floor)", value: (r) => r.floorMs, unit: "ms" },
      { label: "shipyard --help", value: (r) => r.helpMs, unit: "ms", target: { text: "< 200 ms", met: (v) => v < 200 } },
      { label: "  ratio to the floor", value: (r) => r.helpToFloor, unit: "x" },
      { label: "  peak RSS", value: (r) => r.helpRssKb, unit: "KiB" },
      { label: "shipyard runs (a live server, 20 runs)", value: (r) => r.runsMs, unit: "ms", target: { text: "< 200 ms", met: (v) => v < 200 } },
      { label: "  ratio to the floor", value: (r) => r.runsToFloor, unit: "x" },
      { label: "  peak RSS", value: (r) => r.runsRssKb, unit: "KiB" },
      { label: "bin/shipyard.js build check", value: (r) => r.freshnessCheckMs, unit: "ms" },
      { label: "shipyard --help from the sources (tsx)", value: (r) => r.helpFromSourceMs, unit: "ms" },
    ],
  },
  {
    name: "startup",
    figures: [
      { label: "cold start → /readyz 200", value: (r) => r.coldMs, unit: "ms" },
      { label: "warm start → /readyz 200 (median of 3)", value: (r) => r.warmMedianMs, unit: "ms", target: { text: "< 3000 ms", met: (v) => v < 3000 } },
    ],
  },
  {
    name: "ui",
    figures: [
      { label: "web UI initial JS, gzipped", value: (r) => r.initialJsGzipKb, unit: "KB", target: { text: "< 300 KB", met: (v) => v < 300 } },
      { label: "  raw", value: (r) => r.initialJsKb, unit: "KB" },
      { label: "sign-in link → interactive runs page", value: (r) => r.signInToRunsMs, unit: "ms" },
      { label: "run page → last of 10,000 log lines shown", value: (r) => r.runPage10kLogMs, unit: "ms" },
    ],
  },
];

const TIMEOUT_MS = 15 * 60_000;

/** Run one benchmark; its output is passed through as it comes; resolves with its JSON line (or an error). */
function runBench(name: string): Promise<{ result: Record<string, any> | null; error: string | null; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "bench", `${name}.ts`)], {
      cwd: ROOT,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    // stderr (warnings, the product's own log lines) is shown indented so the figures stay readable.
    let errTail = "";
    child.stderr.on("data", (d: Buffer) => {
      const lines = (errTail + d.toString()).split("\n");
      errTail = lines.pop() ?? "";
      for (const l of lines) if (l.trim()) process.stdout.write(`    | ${l}\n`);
    });
    const timer = setTimeout(() => child.kill("SIGTERM"), TIMEOUT_MS);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (errTail.trim()) process.stdout.write(`    | ${errTail}\n`);
      const ms = Date.now() - started;
      const line = out.split("\n").find((l) => l.startsWith('{"bench":'));
      if (code !== 0) return resolve({ result: null, error: `exited with ${code ?? signal}`, ms });
      if (!line) return resolve({ result: null, error: "printed no JSON line", ms });
      try {
        resolve({ result: JSON.parse(line) as Record<string, any>, error: null, ms });
      } catch (err) {
        resolve({ result: null, error: `bad JSON line: ${(err as Error).message}`, ms });
      }
    });
  });
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !BENCHES.some((b) => b.name === w));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(", ")}; known: ${BENCHES.map((b) => b.name).join(", ")}\n`);
  process.exit(2);
}
const selected = wanted.length > 0 ? BENCHES.filter((b) => wanted.includes(b.name)) : BENCHES;

const rows: string[][] = [];
let failures = 0;
for (const bench of selected) {
  // Other work on this machine skews the figures: show how busy it was when the benchmark started.
  const load = os.loadavg()[0]!.toFixed(2);
  process.stdout.write(`\n### ${bench.name}   (load average ${load} on ${os.cpus().length} cores at start)\n`);
  const { result, error, ms } = await runBench(bench.name);
  if (!result) {
    failures += 1;
    rows.push([bench.name, `FAILED: ${error}`, "", "", "", load]);
    continue;
  }
  process.stdout.write(`(${bench.name} took ${(ms / 1000).toFixed(1)} s)\n`);
  bench.figures.forEach((f, i) => {
    const v = f.value(result);
    const n = typeof v === "number" ? v : Number.NaN;
    rows.push([
      i === 0 ? bench.name : "",
      f.label,
      Number.isFinite(n) ? `${n} ${f.unit}` : String(v),
      f.target?.text ?? "",
      f.target ? (Number.isFinite(n) ? (f.target.met(n) ? "yes" : "NO") : "?") : "",
      i === 0 ? load : "",
    ]);
  });
}

const header = ["benchmark", "figure", "value", "target", "met", "load at start"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(" | ").trimEnd();
process.stdout.write(["", "## Summary", fmt(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(fmt), ""].join("\n"));
process.exit(failures > 0 ? 1 : 0);
