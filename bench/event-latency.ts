// (c) Live event latency: a step prints ~300 lines, each its own wall-clock time in nanoseconds, 10 ms apart;
// an SSE client computes latency = receive time − the timestamp in the line. Same machine, same clock.
import {
  cpuBetween,
  cpuSnapshot,
  followEvents,
  main,
  percentile,
  report,
  round,
  startBenchShipyard,
  submitRun,
  wallMs,
  type BenchShipyard,
} from "./lib/common.ts";

const LINES = 300;

const workflow = (lines: number) =>
  [
    "name: event-latency",
    "steps:",
    "  - id: ticks",
    "    run: |",
    `      for i in $(seq ${lines}); do`,
    `        echo "$(date +%s%N)"`,
    "        sleep 0.01",
    "      done",
    "",
  ].join("\n");

interface Measured {
  /** echo → SSE frame parsed by the client. */
  total: number[];
  /** echo → the runner read the line (its `time` field). */
  toRunner: number[];
  /** runner read → event stored (the gateway's transaction time): batching (15 ms), WebSocket, gateway. */
  toStore: number[];
  /** event stored → client: commit, NOTIFY, hub read-back, SSE write, client parse. */
  toClient: number[];
  lines: number;
  wallMs: number;
}

async function measure(s: BenchShipyard, lines: number): Promise<Measured> {
  const m: Measured = { total: [], toRunner: [], toStore: [], toClient: [], lines: 0, wallMs: 0 };
  const t0 = wallMs();
  const id = await submitRun(s, workflow(lines));
  const events = await followEvents(s, id, (e) => {
    if (e.type !== "log" || !/^\d{16,20}$/.test(String(e.payload.line))) return;
    const echoedMs = Number(e.payload.line) / 1e6;
    const runnerMs = Date.parse(String(e.payload.time));
    const storedMs = Date.parse(e.time);
    m.total.push(e.receivedAt - echoedMs);
    m.toRunner.push(runnerMs - echoedMs);
    m.toStore.push(storedMs - runnerMs);
    m.toClient.push(e.receivedAt - storedMs);
    m.lines += 1;
  });
  m.wallMs = wallMs() - t0;
  const status = events.at(-1)?.payload.status;
  if (status !== "succeeded") throw new Error(`run ${id} ended ${status}`);
  return m;
}

main("event-latency", async () => {
  const s = await startBenchShipyard();
  await measure(s, 20); // warm-up
  const cpu0 = cpuSnapshot(s);
  const m = await measure(s, LINES);
  const cpu = cpuBetween(cpu0, cpuSnapshot(s), m.wallMs);
  if (m.lines !== LINES) throw new Error(`received ${m.lines} of ${LINES} lines`);
  const p = (xs: number[], q: number) => round(percentile(xs, q), 1);
  const row = (label: string, xs: number[]) => `${label.padEnd(52)} p50 ${String(p(xs, 50)).padStart(6)} ms   p99 ${String(p(xs, 99)).padStart(6)} ms   max ${p(xs, 100)} ms`;
  report(
    "event-latency",
    [
      `${LINES} log lines, one every ~10 ms (echo "$(date +%s%N)"; sleep 0.01), followed live over SSE`,
      row("latency echo → SSE client", m.total),
      `where it goes (runner and database clocks are this machine's, ms resolution):`,
      row("  echo → runner read the line", m.toRunner),
      row("  runner read → event stored (15 ms batching, WS)", m.toStore),
      row("  stored → client (NOTIFY, hub, SSE)", m.toClient),
      `target: p99 < 100 ms`,
      cpu.text,
    ],
    {
      lines: m.lines,
      p50Ms: p(m.total, 50),
      p99Ms: p(m.total, 99),
      maxMs: p(m.total, 100),
      toRunnerP50Ms: p(m.toRunner, 50),
      toStoreP50Ms: p(m.toStore, 50),
      toClientP50Ms: p(m.toClient, 50),
      toStoreP99Ms: p(m.toStore, 99),
      toClientP99Ms: p(m.toClient, 99),
    },
  );
});
