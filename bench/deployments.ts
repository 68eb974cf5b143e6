// Deployments: a generate-mode deployment end to end (POST → status `generated`: validate, clone and detect on
// the runner, render, commit and push to a local bare remote, final status), 5 times, each on a project of its
// own. Prints the median and p95 less the git push (the time from the commit stage's "pushing" line to its
// "pushed" line, read from the log's runner timestamps), which is the remote's and the network's, not Shipyard's.
//   tsx bench/deployments.ts
import { bareRemote, main, median, percentile, report, round, startBenchShipyard, waitUntil, wallMs } from "./lib/common.ts";

const DEPLOYMENTS = 5;
const APP = { image: "ghcr.io/acme/app:1.0.0", ports: [3000], replicas: 2, env: { LOG_LEVEL: "info" }, ingress: { host: "app.example.com" } };

main("deployments", async () => {
  const s = await startBenchShipyard({ SHIPYARD_ALLOW_LOCAL_REPOS: "true" });
  const totals: number[] = [];
  const withoutPush: number[] = [];
  for (let i = 0; i < DEPLOYMENTS; i++) {
    const project = await s.api("POST", "/projects", { name: `bench-deploy-${i}`, repo: bareRemote("shipyard-bench-deploy-"), defaultBranch: "main" });
    if (project.status !== 201) throw new Error(`project: ${JSON.stringify(project.body)}`);
    const t0 = wallMs();
    const started = await s.api("POST", `/projects/${project.body.id}/deployments`, { generator: "docker-compose", config: APP, direct: true });
    if (started.status !== 202) throw new Error(`deployment: ${JSON.stringify(started.body)}`);
    const d = await waitUntil(async () => {
      const b = (await s.api("GET", `/deployments/${started.body.id}`)).body;
      return b.status === "generated" ? b : b.status === "failed" ? Promise.reject(new Error(b.error)) : null;
    }, 120_000, "the deployment", 20);
    const total = wallMs() - t0;
    if (!d.commit) throw new Error("no commit");
    const events = (await s.api("GET", `/operations/${d.id}/events?limit=5000`)).body.events as { type: string; payload: { line?: string; time?: string } }[];
    const at = (prefix: string) => Date.parse(events.find((e) => e.type === "log" && e.payload.line?.startsWith(prefix))?.payload.time ?? "");
    const push = at("pushed ") - at("pushing ");
    if (!Number.isFinite(push)) throw new Error("the commit stage's push lines are missing");
    totals.push(total);
    withoutPush.push(total - push);
  }
  report(
    "deployments",
    [
      `  ${DEPLOYMENTS} generate-mode deployments (docker-compose, direct to a local bare remote), each on a new project`,
      `  POST → generated, less the git push: median ${round(median(withoutPush))} ms, p95 ${round(percentile(withoutPush, 95))} ms (with it: median ${round(median(totals))} ms)`,
    ],
    { deployments: DEPLOYMENTS, medianMs: round(median(withoutPush)), p95Ms: round(percentile(withoutPush, 95)), medianWithPushMs: round(median(totals)) },
  );
});
