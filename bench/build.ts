// (i) Builds: the offline demo's build (`shipyard demo`: the bakery's landing page on the static template, model
// answers replayed from cassettes/build-demo.json) run 5 times, each on a new project whose first deploy is done.
// Prints the time from POST /builds to the preview URL (p50, p95) and the platform's own share of a build:
// everything but the agent's stages (its model calls and tool work) and the template's build, verify and upload
// commands, which are the project's, not Shipyard's.
//   tsx bench/build.ts
import pg from "pg";
import { DEMO_MODEL, DEMO_TEMPLATE, SCENARIOS } from "../src/builds/demo.ts";
import { main, median, percentile, report, round, startBenchShipyard, waitUntil, wallMs } from "./lib/common.ts";

const BUILDS = 5;

main("build", async () => {
  const s = await startBenchShipyard();
  const db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
  const totals: number[] = [];
  const overheads: number[] = [];
  const agentMs: number[] = [];
  const commandsMs: number[] = [];
  for (let i = 0; i < BUILDS; i++) {
    const project = await s.api("POST", "/projects", { name: `bench-${i}`, template: DEMO_TEMPLATE, defaultModel: DEMO_MODEL });
    if (project.status !== 201) throw new Error(`project: ${JSON.stringify(project.body)}`);
    await waitUntil(async () => (await s.api("GET", `/projects/${project.body.id}/previews`)).body.environments.staging.version === 1, 120_000, "the first deploy", 50);
    const t0 = wallMs();
    const started = await s.api("POST", `/projects/${project.body.id}/builds`, { prompt: SCENARIOS[0]!.prompt });
    if (started.status !== 202) throw new Error(`build: ${JSON.stringify(started.body)}`);
    const build = await waitUntil(async () => {
      const b = (await s.api("GET", `/builds/${started.body.id}`)).body;
      return b.status === "succeeded" ? b : b.status === "failed" ? Promise.reject(new Error(b.error)) : null;
    }, 300_000, "the build", 20);
    totals.push(wallMs() - t0);
    if (!build.previewUrl) throw new Error("no preview URL");
    // The build's own span (its running event to its complete event) less the agent's and the template's tasks.
    const span = await db.query<{ ms: number }>(
      `select extract(epoch from max(created_at) filter (where type = 'complete') - min(created_at) filter (where type = 'status' and payload->>'status' = 'running')) * 1000 as ms
         from events where operation_id = $1`,
      [build.id],
    );
    const tasks = await db.query<{ step_id: string; ms: number }>(
      "select step_id, extract(epoch from finished_at - assigned_at) * 1000 as ms from tasks where operation_id = $1 and finished_at is not null",
      [build.id],
    );
    const sum = (re: RegExp) => tasks.rows.filter((t) => re.test(t.step_id)).reduce((a, t) => a + Number(t.ms), 0);
    const agent = sum(/^(task|fix)-\d+$/);
    const commands = sum(/^test-\d+$/);
    agentMs.push(agent);
    commandsMs.push(commands);
    overheads.push(Number(span.rows[0]!.ms) - agent - commands);
  }
  await db.end();
  report(
    "build",
    [
      `  ${BUILDS} builds of the offline demo (3 tasks, static template, replayed model answers), each on a new project`,
      `  POST /builds → preview URL: p50 ${round(median(totals))} ms, p95 ${round(percentile(totals, 95))} ms`,
      `  of a build (medians): the agent's stages ${round(median(agentMs))} ms, the template's build/verify/upload ${round(median(commandsMs))} ms,`,
      `  the platform's own share (prepare, changes, commit, cleanup, preview check, publish, orchestration) ${round(median(overheads))} ms (target < 2000 ms)`,
    ],
    { builds: BUILDS, p50Ms: round(median(totals)), p95Ms: round(percentile(totals, 95)), agentMs: round(median(agentMs)), commandsMs: round(median(commandsMs)), overheadMs: round(median(overheads)) },
  );
});
