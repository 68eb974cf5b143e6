// Webhook delivery latency: 200 one-step runs (10 at a time), each delivered as a signed `run.completed` to a
// receiver on loopback. Per delivery: run finished (finishedAt, the database's clock) → request received, and
// event emitted (the body's timestamp) → request received. Same machine, same clock.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { main, onCleanup, percentile, report, round, startBenchShipyard, submitRun, waitUntil, wallMs } from "./lib/common.ts";

const RUNS = 200;
const AT_ONCE = 10;
const WORKFLOW = "name: webhook-latency\nsteps:\n  - id: a\n    run: \"true\"\n";

interface Arrival {
  at: number;
  body: string;
  headers: Record<string, string>;
}

async function receiver(): Promise<{ url: string; arrivals: Arrival[] }> {
  const arrivals: Arrival[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = wallMs();
      arrivals.push({ at, body: Buffer.concat(chunks).toString("utf8"), headers: req.headers as Record<string, string> });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onCleanup(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, arrivals };
}

main("webhook-latency", async () => {
  const s = await startBenchShipyard({ SHIPYARD_ALLOW_PRIVATE_URLS: "true", SHIPYARD_ALLOWED_HTTP_HOSTS: "127.0.0.1" });
  const r = await receiver();
  const hook = await s.api("POST", "/webhooks", { url: r.url, events: ["run.completed", "run.failed"] });
  if (hook.status !== 201) throw new Error(`POST /webhooks answered ${hook.status}: ${JSON.stringify(hook.body)}`);
  const verifier = new Webhook(hook.body.secret as string);

  // Warm-up: one run end to end.
  await submitRun(s, WORKFLOW);
  await waitUntil(async () => r.arrivals.length >= 1, 60_000, "the warm-up delivery");
  r.arrivals.length = 0;

  const t0 = wallMs();
  for (let i = 0; i < RUNS; i += AT_ONCE) {
    const n = Math.min(AT_ONCE, RUNS - i);
    const expected = i + n;
    await Promise.all(Array.from({ length: n }, () => submitRun(s, WORKFLOW)));
    await waitUntil(async () => r.arrivals.length >= expected, 120_000, `${expected} deliveries`);
  }
  const wall = wallMs() - t0;

  const fromFinish: number[] = [];
  const fromEmit: number[] = [];
  let unverified = 0;
  const ids = new Set<string>();
  for (const a of r.arrivals) {
    let body: { timestamp: string; data: { finishedAt: string } };
    try {
      body = verifier.verify(a.body, a.headers) as typeof body;
    } catch {
      unverified += 1;
      continue;
    }
    ids.add(a.headers["webhook-id"]!);
    fromFinish.push(a.at - Date.parse(body.data.finishedAt));
    fromEmit.push(a.at - Date.parse(body.timestamp));
  }
  const figures = {
    deliveries: r.arrivals.length,
    distinctIds: ids.size,
    unverified,
    finishP50Ms: round(percentile(fromFinish, 50)),
    finishP99Ms: round(percentile(fromFinish, 99)),
    emitP50Ms: round(percentile(fromEmit, 50)),
    emitP99Ms: round(percentile(fromEmit, 99)),
    deliveriesPerSec: round((r.arrivals.length / wall) * 1000),
  };
  report(
    "webhook-latency",
    [
      `${figures.deliveries} deliveries (${figures.distinctIds} distinct webhook-ids, ${unverified} not verified), ${AT_ONCE} runs at a time`,
      `run finished → receiver: p50 ${figures.finishP50Ms} ms, p99 ${figures.finishP99Ms} ms`,
      `event emitted → receiver: p50 ${figures.emitP50Ms} ms, p99 ${figures.emitP99Ms} ms`,
    ],
    figures,
  );
});
