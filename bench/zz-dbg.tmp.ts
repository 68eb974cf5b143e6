import pg from "pg";
import { main, startBenchShipyard, submitRun, followEvents } from "./lib/common.ts";
main("dbg", async () => {
  const s = await startBenchShipyard({ SHIPYARD_RUNNER_SLOTS: "8" });
  const wf = "name: c\nsteps:\n  - id: a\n    run: \"true\"\n  - id: b\n    needs: [a]\n    run: \"true\"\n  - id: c\n    needs: [b]\n    run: \"true\"\n";
  const id = await submitRun(s, wf);
  const ev = await followEvents(s, id);
  const c = new pg.Client({ connectionString: s.databaseUrl }); await c.connect();
  console.log((await c.query("select step_id, spec->'prewarm' as p from tasks where operation_id = $1", [id])).rows);
  console.log(ev.filter((e: any) => e.type === "step").map((e: any) => `${e.payload.stepId} ${e.payload.status} ${e.payload.durationMs ?? ""}`).join("\n"));
  await c.end();
});
