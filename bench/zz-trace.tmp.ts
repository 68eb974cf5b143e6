import pg from "pg";
import { main, startBenchShipyard, submitRun, sleep, followEvents } from "./lib/common.ts";
function chain(n: number): string { const out = ["name: chain", "steps:"]; for (let i = 0; i < n; i++) { out.push("  - id: s" + i, '    run: "true"'); if (i) out.push("    needs: [s" + (i - 1) + "]"); } return out.join("\n") + "\n"; }
const workflow = chain(Number(process.env.STEPS ?? 1));
const POLL = /version_name|WITH RECURSIVE partitions|SELECT workflow_uuid FROM "dbos".workflow_status WHERE status|^BEGIN$|^COMMIT$/;
main("sqltrace", async () => {
  const s = await startBenchShipyard({ SHIPYARD_RUNNER_SLOTS: "8" });
  for (let i = 0; i < 5; i++) { const id = await submitRun(s, workflow); await followEvents(s, id); }
  const log: { t: number; sql: string }[] = [];
  let on = false;
  const proto = pg.Client.prototype as any;
  const original = proto.query;
  proto.query = function (this: unknown, ...args: any[]) {
    const q = args[0]; const text = String(typeof q === "string" ? q : q?.text ?? q?.name ?? "?").replace(/\s+/g, " ").trim();
    if (on && !(process.env.ALL ? false : POLL.test(text))) log.push({ t: performance.now(), sql: text.slice(0, 150) });
    return original.apply(this, args);
  };
  const t0 = performance.now(); on = true;
  const id = await submitRun(s, workflow);
  await sleep(Number(process.env.WAIT ?? 400)); on = false;
  console.log("RUN", id, log.length);
  for (const l of log) console.log((l.t - t0).toFixed(1).padStart(7), l.sql);
});
