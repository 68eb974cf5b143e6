// `shipyard blueprint` as a real child process against the HTTP app served on loopback (no engine: a build is
// only started, so `blueprint build` is shown refusing an unready plan): new, chat with its compact plan, show.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../src/agents/llm/fake-openai.ts";
import { SOCIAL_WORLD, scenarioModel } from "../src/blueprints/demo.ts";
import { closePreviewBrowser } from "../src/previews/check.ts";
import { runCli } from "./helpers/cli.ts";
import { startInMemoryApp, type InMemoryApp } from "./helpers/in-memory-app.ts";

let t: InMemoryApp;
let server: ServerType;
let url: string;
let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI(() => ({ text: JSON.stringify({ reply: "I see one grey pixel.", plan: SOCIAL_WORLD.turns[0]!.plan }), usage: { prompt_tokens: 10, completion_tokens: 5 } }));
  process.env.FAKE_BASE_URL = fake.baseURL;
  t = await startInMemoryApp("cli_blueprints");
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: t.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await closePreviewBrowser();
  await Promise.all([t?.close(), fake?.close()]);
});

const cli = (...args: string[]) => runCli(args, { env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), SHIPYARD_URL: url, SHIPYARD_TOKEN: t.token, NO_COLOR: "1" } });

describe("shipyard blueprint", { timeout: 120_000 }, () => {
  it("new, three chat turns printing the reply and each section's status, show, and a build refused with its blockers", async () => {
    expect((await t.api("POST", "/projects", { name: "aeries", template: SOCIAL_WORLD.template, defaultModel: scenarioModel(SOCIAL_WORLD) })).status).toBe(201);
    const created = await cli("blueprint", "new", "aeries", SOCIAL_WORLD.featureName);
    expect(created.code, created.stderr).toBe(0);
    const id = /^(bp_\w+)/.exec(created.stdout)![1]!;
    expect(created.stdout).toContain("docs/specs/social-world.md");

    const early = await cli("blueprint", "build", id);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain("not ready to build");
    expect(early.stderr).toContain("(blueprint_not_ready)");

    const [first, second, third] = SOCIAL_WORLD.turns;
    const t1 = await cli("blueprint", "chat", id, first!.message);
    expect(t1.code, t1.stderr).toBe(0);
    expect(t1.stdout).toContain(`Architect: ${first!.reply}`);
    expect(t1.stdout).toMatch(/◐ data model\s+partial\s+1 entities/);
    expect(t1.stdout).toMatch(/○ design system\s+empty/);
    expect(t1.stdout).toContain("! open question: How should agents decide who to talk to");
    expect((await cli("blueprint", "chat", id, second!.message)).code).toBe(0);
    const t3 = await cli("blueprint", "chat", id, third!.message);
    expect(t3.stdout).toMatch(/● UI components\s+complete\s+2 components/);
    expect(t3.stdout).toContain("ready to build");
    expect(t3.stdout).toContain(`build it: shipyard blueprint build ${id}`);

    const shown = await cli("blueprint", "show", id);
    expect(shown.stdout).toContain("3 turns; last reply: Speech bubbles above the agents");
    const json = JSON.parse((await cli("blueprint", "show", id, "--json")).stdout);
    expect(json.messages).toHaveLength(6);

    const missing = await cli("blueprint", "chat", id, "like this", "--ref", "/nonexistent/shot.png");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("cannot read /nonexistent/shot.png");
    expect((await t.api("GET", `/blueprints/${id}`)).body.messages).toHaveLength(6);
  });

  it("chat --ref FILE uploads the image first and the model gets it with the message", async () => {
    expect((await t.api("POST", "/projects", { name: "refs", template: "static", defaultModel: "openai-compatible:fake:cli" })).status).toBe(201);
    const id = /^(bp_\w+)/.exec((await cli("blueprint", "new", "refs", "Pricing Page")).stdout)![1]!;
    const file = path.join(t.dataDir, "shot.png");
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
    await fs.writeFile(file, png);
    const said = await cli("blueprint", "chat", id, "like this", "--ref", file);
    expect(said.code, said.stderr).toBe(0);
    expect(said.stdout).toContain("Architect: I see one grey pixel.");
    expect(said.stdout).toContain("references: shot.png (upload)");
    expect(JSON.stringify(fake.requests.at(-1)!.body.messages.at(-1))).toContain(`data:image/png;base64,${png.toString("base64")}`);
  });
});
