// (issue 8, point 4) Many followers on one run's SSE stream: N subscribers (200, then 1000) join while the
// run prints, are held while it sleeps, and follow it to its end; how many received every event exactly once
// and in order, and what each held stream costs the server.
import { spawn } from "node:child_process";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { main, onCleanup, report, round, ROOT, startBenchShipyard, submitRun, waitUntil, type BenchShipyard } from "./lib/common.ts";

const COUNTS = [200, 1000];
const LINES = 400;
/** Followers join one after the other over this long, while the run prints. */
const SPREAD_MS = 2000;

// The server runs in this process: a forced collection before each reading makes the heap figures comparable.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const workflow = [
  "name: sse-fanout",
  "steps:",
  "  - id: talk",
  "    run: |",
  `      for i in $(seq ${LINES}); do echo "line $i"; sleep 0.01; done`,
  "      echo holding",
  "      sleep 600",
  "",
].join("\n");

interface Followed {
  contiguous: boolean;
  count: number;
  lastSeq: number;
  endedWithComplete: boolean;
  error?: string;
}

/** Start the followers' process; resolves `held` when all N streams answered 200, `done` with what each received. */
function startFollowers(s: BenchShipyard, operationId: string, n: number) {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "bench", "lib", "sse-followers.ts"), s.url, s.adminToken, operationId, String(n), String(SPREAD_MS)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  onCleanup(() => void (child.exitCode === null && child.kill("SIGTERM")));
  let out = "";
  let onHeld: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.includes(`held ${n}\n`)) onHeld();
  });
  const done = new Promise<Followed[]>((resolve, reject) => {
    child.once("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith('{"followers"'));
      if (code !== 0 || !line) return reject(new Error(`followers exited with ${code}:\n${out.slice(-2000)}`));
      resolve((JSON.parse(line) as { followers: Followed[] }).followers);
    });
  });
  return { held, done };
}

const memory = () => {
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
};

async function fanOut(s: BenchShipyard, n: number) {
  const id = await submitRun(s, workflow);
  await waitUntil(async () => (await s.api("GET", `/operations/${id}`)).body.lastSeq > 0, 30_000, "the run to start");
  const before = memory();
  const followers = startFollowers(s, id, n);
  await Promise.race([followers.held, followers.done]);
  // Every follower is connected; wait for the run to reach its quiet part, so each has been sent the same log.
  const logged = async () => (await s.api("GET", `/operations/${id}/events?limit=5000`)).body.events.some((e: any) => e.payload.line === "holding");
  await waitUntil(logged, 60_000, "the run to print its lines");
  const heldAt = memory();
  const cancel = await s.api("POST", `/runs/${id}/cancel`);
  if (cancel.status !== 202) throw new Error(`cancel answered ${cancel.status}`);
  const received = await followers.done;
  const lastSeq = (await s.api("GET", `/operations/${id}`)).body.lastSeq as number;
  const complete = received.filter((f) => f.contiguous && f.endedWithComplete && f.lastSeq === lastSeq && f.count === lastSeq).length;
  const errors = [...new Set(received.flatMap((f) => (f.error ? [f.error] : [])))];
  return {
    n,
    events: lastSeq,
    held: received.filter((f) => !f.error).length,
    complete,
    rssKbPerSub: round((heldAt.rss - before.rss) / 1024 / n, 1),
    heapKbPerSub: round((heldAt.heap - before.heap) / 1024 / n, 1),
    errors,
  };
}

main("sse-fanout", async () => {
  const s = await startBenchShipyard();
  const rows = [];
  for (const n of COUNTS) rows.push(await fanOut(s, n));
  const figures: Record<string, unknown> = {};
  for (const r of rows) {
    figures[`held_${r.n}`] = r.held;
    figures[`complete_${r.n}`] = r.complete;
    figures[`rssKbPerSub_${r.n}`] = r.rssKbPerSub;
    figures[`heapKbPerSub_${r.n}`] = r.heapKbPerSub;
  }
  report(
    "sse-fanout",
    [
      `one run prints ${LINES} lines (~10 ms apart) while N followers join its SSE stream over ${SPREAD_MS} ms, then sleeps (held), then is cancelled`,
      ...rows.map(
        (r) =>
          `N=${String(r.n).padEnd(5)} held ${r.held}, received all ${r.events} events exactly once in order: ${r.complete}; ` +
          `server memory per follower: RSS ${r.rssKbPerSub} KiB, heap ${r.heapKbPerSub} KiB${r.errors.length ? `; errors: ${r.errors.join(", ")}` : ""}`,
      ),
      "target: every follower complete",
    ],
    figures,
  );
});
