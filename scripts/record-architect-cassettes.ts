// Record cassettes/architect-<scenario>.json: each conversation of src/blueprints/demo.ts is held with a real
// Shipyard (chat turns through the API, the reference page served on loopback and captured in Chromium), then
// its blueprint is built for real (runner, sandbox, preview check), all against a fake OpenAI-compatible API that
// answers from the script, with SHIPYARD_RECORD=1, so each entry is keyed by the fingerprint Shipyard computes.
//   npx tsx scripts/record-architect-cassettes.ts [scenario]
import { promises as fs, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeOpenAI, type FakeReply, type FakeRequest } from "../src/agents/llm/fake-openai.ts";
import { ARCHITECT_SCENARIOS, REFERENCE_PAGE, type ArchitectScenario, type DemoBuild } from "../src/blueprints/demo.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const usage = { prompt_tokens: 1500, completion_tokens: 400 };

const textOf = (content: unknown): string =>
  typeof content === "string" ? content : Array.isArray(content) ? content.map((p: { text?: string }) => p.text ?? "").join("") : "";

/** The files a task writes: its own, and the template's files with its patches applied. */
function writesOf(s: ArchitectScenario, task: DemoBuild["tasks"][number]): Record<string, string> {
  const out = { ...task.writes };
  for (const p of task.patches ?? []) {
    const before = out[p.file] ?? readFileSync(path.join(ROOT, "templates", s.template, p.file), "utf8");
    if (!before.includes(p.from)) throw new Error(`patch of ${p.file}: ${p.from} is not in it`);
    out[p.file] = before.replace(p.from, p.to);
  }
  return out;
}

/** The scripted answer to one request of the scenario: an Architect turn, the build's plan, or the agent. */
function answer(s: ArchitectScenario, body: FakeRequest["body"]): FakeReply {
  const system = textOf(body.messages.find((m) => m.role === "system")?.content);
  if (system.includes("You are the Architect")) {
    const last = textOf([...body.messages].reverse().find((m) => m.role === "user")?.content);
    const said = last.split("The user says:\n")[1] ?? "";
    const turn = [...s.turns, ...(s.followUp?.turns ?? [])].find((t) => t.message === said.trim());
    if (!turn) throw new Error(`no turn of ${s.name} for the message ${JSON.stringify(said.slice(0, 100))}`);
    return { text: JSON.stringify({ reply: turn.reply, plan: turn.plan }), usage };
  }
  const first = textOf(body.messages.find((m) => m.role === "user")?.content);
  if (!first.includes(`# Feature: ${s.featureName}`)) throw new Error(`a request of no build of ${s.name}: ${first.slice(0, 200)}`);
  // The follow-up's spec is the one that has its last turn's summary.
  const tasks = s.followUp && first.includes(s.followUp.turns.at(-1)!.plan.summary) ? s.followUp.build.tasks : s.build.tasks;
  if (body.response_format !== undefined || body.tools === undefined) return { text: JSON.stringify({ tasks: tasks.map(({ title, description }) => ({ title, description })) }), usage };
  const n = Number(/Task (\d+) of \d+:/.exec(first)?.[1] ?? "0");
  const task = tasks[n - 1];
  if (!task) throw new Error(`no task ${n} in ${s.name}`);
  if (body.messages.filter((m) => m.role === "assistant").length === 0) {
    const toolCalls = Object.entries(writesOf(s, task)).map(([file, content], i) => ({ id: `call_${i + 1}`, name: "write_file", arguments: JSON.stringify({ path: file, content }) }));
    return { text: "I'll write the files.", toolCalls, usage };
  }
  return { text: task.summary, usage };
}

async function record(s: ArchitectScenario): Promise<void> {
  const cassette = `architect-${s.name}`;
  const cassettes = path.join(ROOT, "cassettes");
  await fs.rm(path.join(cassettes, `${cassette}.json`), { force: true });
  const fake = await startFakeOpenAI((body) => answer(s, body));
  const pages = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(REFERENCE_PAGE));
  await new Promise<void>((r) => pages.listen(0, "127.0.0.1", r));
  const pageBase = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  Object.assign(process.env, { FAKE_BASE_URL: fake.baseURL, SHIPYARD_RECORD: "1", SHIPYARD_CASSETTE: cassette, SHIPYARD_CASSETTES: cassettes });
  const { startBenchShipyard, waitUntil } = await import("../bench/lib/common.ts");
  const waitFor = <T>(check: () => Promise<T | false | null | undefined>, ms: number, what: string) => waitUntil(check, ms, what, 200);
  const sy = await startBenchShipyard({ SHIPYARD_ALLOW_PRIVATE_URLS: "1", SHIPYARD_ALLOWED_HTTP_HOSTS: "127.0.0.1" });
  try {
    const project = await sy.api("POST", "/projects", { name: `record-${s.name}`, template: s.template, defaultModel: "openai-compatible:fake:demo" });
    if (project.status !== 201) throw new Error(`project: ${JSON.stringify(project.body)}`);
    await waitFor(async () => ((await sy.api("GET", `/projects/${project.body.id}/builds`)).body.builds as { status: string }[]).every((b) => b.status === "succeeded" || b.status === "failed"), 120_000, "the first deploy");
    const bp = await sy.api("POST", `/projects/${project.body.id}/blueprints`, { featureName: s.featureName });
    if (bp.status !== 201) throw new Error(`blueprint: ${JSON.stringify(bp.body)}`);
    for (const part of [{ turns: s.turns }, ...(s.followUp ? [s.followUp] : [])]) {
      for (const turn of part.turns) {
        const references = turn.referencePaths?.map((p) => ({ type: "url", source: `${pageBase}${p}` }));
        const said = await sy.api("POST", `/blueprints/${bp.body.id}/chat`, { message: turn.message, ...(references ? { references } : {}) });
        if (said.status !== 200) throw new Error(`chat: ${JSON.stringify(said.body)}`);
        console.log(`${s.name}: "${turn.message}" → ready ${said.body.blueprint.readyToBuild}`);
      }
      const started = await sy.api("POST", `/blueprints/${bp.body.id}/build`);
      if (started.status !== 202) throw new Error(`build: ${JSON.stringify(started.body)}`);
      const build = await waitFor(async () => {
        const b = (await sy.api("GET", `/builds/${started.body.buildId}`)).body as { status: string; error: string | null };
        return ["succeeded", "failed", "cancelled"].includes(b.status) ? b : null;
      }, 240_000, `build ${started.body.buildId}`);
      console.log(`${s.name}: build ${build.status}${build.error ? ` (${build.error.split("\n")[0]})` : ""}`);
      if (build.status !== "succeeded") throw new Error("the build failed: nothing after it can be recorded");
    }
  } finally {
    await sy.stop();
    await fake.close();
    pages.close();
  }
  const file = JSON.parse(await fs.readFile(path.join(cassettes, `${cassette}.json`), "utf8")) as { entries: object };
  console.log(`recorded ${Object.keys(file.entries).length} answers into cassettes/${cassette}.json (replay with replay:${cassette})`);
}

const only = process.argv[2];
for (const s of ARCHITECT_SCENARIOS) if (!only || s.name === only) await record(s);
