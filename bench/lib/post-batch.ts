// The throughput bench's client, in a process of its own as a real client is (in the server's process its
// requests and their answers would take the server's own CPU): once told "go" on stdin, POSTs BENCH_RUNS runs
// at once (over BENCH_CONNECTIONS keep-alive connections, default 16), then polls cheaply until none is pending or
// running, and prints one JSON line with its timings.
//   BENCH_API=<base URL of /api/v1> BENCH_TOKEN=<token> BENCH_RUNS=200 BENCH_WORKFLOW=<yaml> tsx bench/lib/post-batch.ts
import { createInterface } from "node:readline";
import http from "node:http";

/**
 * The client's connections: kept alive and pooled, as an HTTP client's are (the floor's enqueues go through DBOS's
 * pool of 10 connections the same way). node:http rather than fetch: a request costs it a quarter of the CPU,
 * which on this machine is taken from the server it measures.
 */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });

const api = process.env.BENCH_API!;
const token = process.env.BENCH_TOKEN!;
const runs = Number(process.env.BENCH_RUNS ?? 200);
const workflow = process.env.BENCH_WORKFLOW!;
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 25);

/** One request over the client's pool, its answer's status and JSON body. */
function call(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string | number> = { authorization: `Bearer ${token}`, accept: "application/json" };
  if (payload !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  return new Promise((resolve, reject) => {
    const req = http.request(`${api}${route}`, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}

async function batch(): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const startedAt = Date.now();
  const ids = await Promise.all(
    Array.from({ length: runs }, async () => {
      const res = await call("POST", "/runs", { workflow, inputs: {} });
      if (res.status !== 201) throw new Error(`POST /runs answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    }),
  );
  const submitMs = performance.now() - t0;
  let polls = 0;
  const unfinished = async () => {
    polls += 2;
    const [pending, running] = await Promise.all([call("GET", "/runs?status=pending&limit=1"), call("GET", "/runs?status=running&limit=1")]);
    return pending.body.runs.length + running.body.runs.length;
  };
  for (const deadline = Date.now() + 120_000; (await unfinished()) > 0; ) {
    if (Date.now() > deadline) throw new Error("runs still unfinished after 120 s");
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ ids, startedAt, submitMs, observedMs: performance.now() - t0, polls, clientCpuS: (cpu.user + cpu.system) / 1e6 }) + "\n");
}

process.stdout.write("ready\n");
const lines = createInterface({ input: process.stdin });
lines.once("line", () => {
  lines.close();
  batch().then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
});
