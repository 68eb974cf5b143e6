// Cancel of a wide run: runs of 500 and 3,000 parallel short steps (each `sleep 0.05`, so results keep pouring in
// while the run is cancelled), cancelled one second after they start. Prints the time from the cancel request to
// the run's `cancelled`, and how many main steps were handed to a runner after the request took effect (its
// commit: `cancel_requested_at`), which should be none; claims already under way when it came may still land.
import pg from "pg";
import { main, onCleanup, report, round, startBenchShipyard, submitRun, waitUntil, wallMs } from "./lib/common.ts";

const WIDTHS = [500, 3000];

main("wide-cancel", async () => {
  const s = await startBenchShipyard({ SHIPYARD_RUNNER_SLOTS: "8" });
  const db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
  onCleanup(() => db.end());
  const lines: string[] = [];
  const figures: Record<string, number> = {};
  for (const width of WIDTHS) {
    const steps = Array.from({ length: width }, (_, i) => `  - id: s${i}\n    run: sleep 0.05\n`).join("");
    const id = await submitRun(s, `name: wide-${width}\nsteps:\n${steps}teardown:\n  - id: bye\n    run: echo bye\n`);
    await waitUntil(async () => (await s.api("GET", `/runs/${id}`)).body.status === "running", 60_000, "the run to start");
    await new Promise((r) => setTimeout(r, 1000));
    const asked = wallMs();
    const cancel = await s.api("POST", `/runs/${id}/cancel`);
    if (cancel.status !== 202) throw new Error(`cancel answered ${cancel.status}`);
    const run = await waitUntil(async () => {
      const r = (await s.api("GET", `/runs/${id}`)).body;
      return ["succeeded", "failed", "cancelled"].includes(r.status) ? r : null;
    }, 120_000, "the run to end", 20);
    const endedMs = wallMs() - asked;
    type Event = { seq: number; type: string; time: string; payload: Record<string, unknown> };
    const events: Event[] = [];
    for (;;) {
      const page = (await s.api("GET", `/operations/${id}/events?limit=5000&since=${events.at(-1)?.seq ?? 0}`)).body.events as Event[];
      if (page.length === 0) break;
      events.push(...page);
    }
    const startedAfter = events.filter((e) => e.type === "step" && e.payload.status === "running" && e.payload.stepId !== "bye" && Date.parse(e.time) > asked).length;
    const assignedAfter = Number(
      (
        await db.query(
          `select count(*) from tasks t join runs r on r.id = t.operation_id join run_steps s on s.run_id = r.id and s.step_id = t.step_id
           where t.operation_id = $1 and s.phase = 'main' and t.assigned_at > r.cancel_requested_at`,
          [id],
        )
      ).rows[0].count,
    );
    const succeeded = (run.steps as { id: string; status: string }[]).filter((x) => x.id !== "bye" && x.status === "succeeded").length;
    figures[`endMs_${width}`] = round(endedMs, 0);
    figures[`assignedAfterCancel_${width}`] = assignedAfter;
    figures[`runningEventsAfterRequest_${width}`] = startedAfter;
    lines.push(
      `${width} parallel steps: ${run.status} ${round(endedMs, 0)} ms after the cancel request; ${assignedAfter} handed to a runner after it ` +
        `took effect (${startedAfter} 'running' events after the request: claims already under way); ${succeeded} had finished before it`,
    );
  }
  report("wide-cancel", lines, figures);
});
