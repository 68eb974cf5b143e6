import pg from "pg";
import { main, startBenchShipyard, submitRun, sleep } from "/work/main/bench/lib/common.ts";
const counts = new Map<string, number>();
let on = false;
const proto = pg.Client.prototype as any;
const original = proto.query;
proto.query = function (this: unknown, ...args: any[]) {
  if (on) { const q = args[0]; const text = String(typeof q === "string" ? q : q?.text ?? q?.name ?? "?").replace(/\s+/g, " ").trim().slice(0, 90); counts.set(text, (counts.get(text) ?? 0) + 1); }
  return original.apply(this, args);
};
const wf = ["name: t", "steps:", "  - id: only", `    run: "true"`, ""].join("\n");
main("count", async () => {
  const s = await startBenchShipyard({ SHIPYARD_RUNNER_SLOTS: "32" });
  await Promise.all(Array.from({ length: 20 }, () => submitRun(s, wf)));
  await sleep(2000);
  on = true;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 200 }, () => submitRun(s, wf)));
  for (;;) { on = false; const r = await s.api("GET", "/runs?status=pending,running&limit=1"); const r2 = await s.api("GET", "/runs?status=running&limit=1"); on = true; if (r.body.runs.length + r2.body.runs.length === 0) break; await sleep(50); }
  on = false;
  console.log("ms", Date.now() - t0);
  let total = 0; for (const v of counts.values()) total += v;
  console.log("per run", (total / 200).toFixed(1));
  for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1])) console.log((v / 200).toFixed(2).padStart(6), k);
});
