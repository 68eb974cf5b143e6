// Record cassettes/build-demo.json: every scenario of src/builds/demo.ts runs as a real build (real
// runner, sandbox, preview check) against a fake OpenAI-compatible API that answers from the script, with
// SHIPYARD_RECORD=1, so each recorded entry is keyed by the fingerprint a build really computes.
//   npx tsx scripts/record-build-cassette.ts
import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeOpenAI, type FakeReply, type FakeRequest } from "../src/agents/llm/fake-openai.ts";
import { SCENARIOS, type Scenario } from "../src/builds/demo.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CASSETTE = "build-demo";
const usage = { prompt_tokens: 1200, completion_tokens: 150 };

/** The text of a message's content, whatever its shape. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p: { text?: string }) => p.text ?? "").join("");
  return "";
}

/** The scripted answer to one request of a build. */
function answer(body: FakeRequest["body"]): FakeReply {
  const first = textOf(body.messages.find((m) => m.role === "user")?.content);
  const scenario = SCENARIOS.find((s) => first.includes(s.prompt));
  if (!scenario) throw new Error(`no scenario for a request starting: ${first.slice(0, 200)}`);
  if (body.response_format !== undefined || body.tools === undefined) {
    return { text: JSON.stringify({ tasks: scenario.tasks.map(({ title, description }) => ({ title, description })) }), usage };
  }
  const turns = body.messages.filter((m) => m.role === "assistant").length;
  const step = stepOf(scenario, first);
  if (turns === 0 && Object.keys(step.writes).length > 0) {
    const toolCalls = Object.entries(step.writes).map(([file, content], i) => ({ id: `call_${i + 1}`, name: "write_file", arguments: JSON.stringify({ path: file, content }) }));
    return { text: "I'll write the files.", toolCalls, usage };
  }
  return { text: step.summary, usage };
}

function stepOf(scenario: Scenario, prompt: string): { writes: Record<string, string>; summary: string } {
  if (prompt.includes("Its test phase failed")) {
    if (!scenario.fix) throw new Error(`scenario "${scenario.prompt}" has no fix, but its test phase failed`);
    return scenario.fix;
  }
  const n = Number(/Task (\d+) of \d+:/.exec(prompt)?.[1] ?? "0");
  const task = scenario.tasks[n - 1];
  if (!task) throw new Error(`no task ${n} in scenario "${scenario.prompt}"`);
  return task;
}

async function main(): Promise<void> {
  const fake = await startFakeOpenAI(answer);
  const cassettes = path.join(ROOT, "cassettes");
  await fs.rm(path.join(cassettes, `${CASSETTE}.json`), { force: true });
  Object.assign(process.env, { FAKE_BASE_URL: fake.baseURL, SHIPYARD_RECORD: "1", SHIPYARD_CASSETTE: CASSETTE, SHIPYARD_CASSETTES: cassettes });
  const { startBenchShipyard, waitUntil } = await import("../bench/lib/common.ts");
  const waitFor = <T>(check: () => Promise<T | false | null | undefined>, ms: number, what: string) => waitUntil(check, ms, what, 200);
  const s = await startBenchShipyard({ SHIPYARD_ALLOW_PRIVATE_URLS: "1" });
  try {
    for (const [i, scenario] of SCENARIOS.entries()) {
      const project = await s.api("POST", "/projects", { name: `record-${i}`, template: "static", defaultModel: "openai-compatible:fake:demo" });
      if (project.status !== 201) throw new Error(`project: ${JSON.stringify(project.body)}`);
      await waitFor(async () => ((await s.api("GET", `/projects/${project.body.id}/builds`)).body.builds as { status: string }[]).every((b) => b.status === "succeeded" || b.status === "failed"), 120_000, "the first deploy");
      const started = await s.api("POST", `/projects/${project.body.id}/builds`, { prompt: scenario.prompt });
      if (started.status !== 202) throw new Error(`build: ${JSON.stringify(started.body)}`);
      const build = await waitFor(async () => {
        const b = (await s.api("GET", `/builds/${started.body.id}`)).body as { status: string; error: string | null };
        return ["succeeded", "failed", "cancelled"].includes(b.status) ? b : null;
      }, 180_000, `build ${started.body.id}`);
      console.log(`${scenario.prompt.slice(0, 60)}…: ${build.status}${build.error ? ` (${build.error.split("\n")[0]})` : ""}`);
    }
  } finally {
    await s.stop();
    await fake.close();
  }
  const file = JSON.parse(await fs.readFile(path.join(cassettes, `${CASSETTE}.json`), "utf8")) as { entries: object };
  console.log(`recorded ${Object.keys(file.entries).length} answers into cassettes/${CASSETTE}.json (replay with replay:${CASSETTE})`);
}

await main();
