// The Architect: (a) a chat turn's own cost, everything but the model call (POST /chat → answer, less the call's
// latency in the usage ledger: loading the blueprint and history, the prompt, zod, the transaction with the
// snapshot), 30 turns on one blueprint against a fake OpenAI-compatible API on loopback; (b) capturing a local
// page as a reference: a full-page screenshot at 1920x1080 in the shared Chromium, cold (the browser launched)
// and warm, plus its thumbnail.
//   tsx bench/architect.ts
import { execFileSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import pg from "pg";
import { startFakeOpenAI } from "../src/agents/llm/fake-openai.ts";
import { REFERENCE_PAGE, SOCIAL_WORLD } from "../src/blueprints/demo.ts";
import { captureUrl, thumbnailOf } from "../src/blueprints/references.ts";
import { createOutboundClient } from "../src/net/outbound-client.ts";
import { closePreviewBrowser } from "../src/previews/check.ts";
import { main, median, onCleanup, report, round, startBenchShipyard, tempDir, wallMs } from "./lib/common.ts";

const TURNS = 30;
const CAPTURES = 8;

main("architect", async () => {
  const fake = await startFakeOpenAI(() => ({ text: JSON.stringify({ reply: SOCIAL_WORLD.turns[1]!.reply, plan: SOCIAL_WORLD.turns[1]!.plan }), usage: { prompt_tokens: 1500, completion_tokens: 400 } }));
  onCleanup(() => fake.close());
  process.env.FAKE_BASE_URL = fake.baseURL;
  const s = await startBenchShipyard({}, { localRunner: false });
  const db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
  onCleanup(() => db.end());
  const repo = path.join(tempDir("architect-repo-"), "repo.git");
  execFileSync("git", ["init", "--quiet", "--bare", repo]);
  const project = await s.api("POST", "/projects", { name: "architect-bench", repo, defaultModel: "openai-compatible:fake:bench" });
  if (project.status !== 201) throw new Error(`project: ${JSON.stringify(project.body)}`);
  const bp = await s.api("POST", `/projects/${project.body.id}/blueprints`, { featureName: "Bench" });
  const overheads: number[] = [];
  const totals: number[] = [];
  for (let i = 0; i < TURNS + 3; i++) {
    const t0 = wallMs();
    const turn = await s.api("POST", `/blueprints/${bp.body.id}/chat`, { message: `turn ${i}: agents walk around and talk` });
    const total = wallMs() - t0;
    if (turn.status !== 200) throw new Error(`chat: ${JSON.stringify(turn.body)}`);
    const call = await db.query<{ ms: number }>("select latency_ms as ms from model_usage where operation_id = $1 order by created_at desc limit 1", [bp.body.id]);
    // The first turns warm up the JIT and the pool.
    if (i < 3) continue;
    totals.push(total);
    overheads.push(total - Number(call.rows[0]!.ms));
  }

  const pages = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(REFERENCE_PAGE));
  await new Promise<void>((r) => pages.listen(0, "127.0.0.1", r));
  onCleanup(() => void pages.close());
  const url = `http://127.0.0.1:${(pages.address() as AddressInfo).port}/pricing.html`;
  const outbound = createOutboundClient({ allowPrivate: true, allowedHttpHosts: ["127.0.0.1"], allowLocalRepos: false });
  await closePreviewBrowser();
  const captures: number[] = [];
  const thumbs: number[] = [];
  for (let i = 0; i < CAPTURES; i++) {
    const t0 = wallMs();
    const png = await captureUrl(outbound, url);
    captures.push(wallMs() - t0);
    const t1 = wallMs();
    await thumbnailOf(png, "image/png");
    thumbs.push(wallMs() - t1);
  }
  await closePreviewBrowser();
  const warm = captures.slice(1);
  report(
    "architect",
    [
      `${TURNS} chat turns on one blueprint (fake model on loopback): turn p50 ${round(median(totals))} ms, of it Shipyard's own ${round(median(overheads))} ms (all but the model call)`,
      `capture of a local page (full page, 1920x1080): cold ${round(captures[0]!)} ms (Chromium launched), warm p50 ${round(median(warm))} ms; thumbnail p50 ${round(median(thumbs))} ms`,
    ],
    { turns: TURNS, turnMs: round(median(totals)), turnOverheadMs: round(median(overheads)), captureColdMs: round(captures[0]!), captureWarmMs: round(median(warm)), thumbnailMs: round(median(thumbs)) },
  );
});
