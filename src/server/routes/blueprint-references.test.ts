// Design references and the Architect's answers that do not fit, in memory against a fake OpenAI-compatible API
// on loopback (so the test sees exactly what reached the model) and a local page captured in Chromium; and the
// design-from-reference turn replayed from its cassette.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";
import { startFakeOpenAI, type FakeOpenAI, type FakeReply } from "../../agents/llm/fake-openai.ts";
import { DESIGN_FROM_REFERENCE, REFERENCE_PAGE, SOCIAL_WORLD, scenarioModel } from "../../blueprints/demo.ts";
import { closePreviewBrowser } from "../../previews/check.ts";
import type { BlueprintView, ReferenceView } from "../../blueprints/schemas.ts";

let t: InMemoryApp;
let strict: InMemoryApp;
let fake: FakeOpenAI;
let pages: http.Server;
let pageBase: string;
let answer: (n: number) => FakeReply;

const PNG_1x1 = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const usage = { prompt_tokens: 100, completion_tokens: 50 };
const valid = (reply: string): FakeReply => ({ text: JSON.stringify({ reply, plan: SOCIAL_WORLD.turns[0]!.plan }), usage });

beforeAll(async () => {
  fake = await startFakeOpenAI(() => answer(fake.requests.length));
  process.env.FAKE_BASE_URL = fake.baseURL;
  pages = http.createServer((req, res) => (req.url === "/pricing.html" ? res.writeHead(200, { "content-type": "text/html" }).end(REFERENCE_PAGE) : res.writeHead(404).end()));
  await new Promise<void>((r) => pages.listen(0, "127.0.0.1", r));
  pageBase = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  t = await startInMemoryApp("blueprint_refs", { urls: { allowPrivate: true, allowedHttpHosts: ["127.0.0.1"] } });
  strict = await startInMemoryApp("blueprint_refs_strict");
});
afterAll(async () => {
  await closePreviewBrowser();
  await Promise.all([t?.close(), strict?.close(), fake?.close()]);
  pages?.close();
});

async function newBlueprint(app: InMemoryApp, name: string, model = "openai-compatible:fake:architect", featureName = "Pricing Page"): Promise<BlueprintView> {
  const p = await app.api("POST", "/projects", { name, template: "static", defaultModel: model });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  return (await app.api("POST", `/projects/${p.body.id}/blueprints`, { featureName })).body;
}

async function upload(app: InMemoryApp, bpId: string, bytes: Uint8Array, type = "image/png") {
  const res = await app.request(`/api/v1/blueprints/${bpId}/references?name=shot.png`, { method: "POST", headers: { authorization: `Bearer ${app.token}`, "content-type": type }, body: new Uint8Array(bytes) });
  return { status: res.status, body: (await res.json()) as ReferenceView & { code?: string } };
}
const bytesOf = async (app: InMemoryApp, route: string) => Buffer.from(await (await app.request(`/api/v1${route}`, { headers: { authorization: `Bearer ${app.token}` } })).arrayBuffer());
const refCount = async (app: InMemoryApp) => (await app.pool.query<{ n: number }>("select count(*)::int as n from blueprint_references")).rows[0]!.n;
/** The image parts of the last user message of a request the fake received, as data URLs. */
const imagesOf = (n: number) => ((fake.requests[n]!.body.messages.at(-1)!.content as { type: string; image_url?: { url: string } }[]).filter((p) => p.type === "image_url").map((p) => p.image_url!.url));

describe("design references", () => {
  it("stores an upload checked from its bytes with a 320x200 thumbnail; refuses what is not PNG, JPEG or WebP, empty or too large", async () => {
    const bp = await newBlueprint(t, "uploads");
    const ok = await upload(t, bp.id, PNG_1x1);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body).toMatchObject({ type: "screenshot", source: "shot.png", mediaType: "image/png", thumbnail: `/api/v1/references/${ok.body.id}/thumbnail` });
    expect((await bytesOf(t, `/references/${ok.body.id}/image`)).equals(PNG_1x1)).toBe(true);
    const thumb = await bytesOf(t, `/references/${ok.body.id}/thumbnail`);
    expect([thumb.readUInt32BE(16), thumb.readUInt32BE(20)]).toEqual([320, 200]);
    expect((await t.api("GET", `/blueprints/${bp.id}`)).body.references.items.map((r: { id: string }) => r.id)).toEqual([ok.body.id]);

    const before = await refCount(t);
    const gif = await upload(t, bp.id, Buffer.from("GIF89a\x01\x00\x01\x00"), "image/png");
    expect([gif.status, gif.body.code]).toEqual([415, "unsupported_media_type"]);
    expect((await upload(t, bp.id, new Uint8Array(0))).status).toBe(400);
    expect((await upload(t, bp.id, Buffer.concat([PNG_1x1, Buffer.alloc(10 * 1024 * 1024)]))).status).toBe(413);
    expect((await upload(t, bp.id, PNG_1x1, "text/plain")).status).toBe(415);
    expect(await refCount(t)).toBe(before);
  });

  it("captures a URL in Chromium and passes it and an uploaded image to the model as image parts, storing both", async () => {
    const bp = await newBlueprint(t, "both-refs");
    const uploaded = (await upload(t, bp.id, PNG_1x1)).body;
    answer = () => valid("I see a dark page with three cards.");
    const from = fake.requests.length;
    const res = await t.api("POST", `/blueprints/${bp.id}/chat`, { message: "Like these", references: [{ type: "upload", id: uploaded.id }, { type: "url", source: `${pageBase}/pricing.html` }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const items = (res.body as { blueprint: BlueprintView }).blueprint.references.items;
    expect(items.map((r) => [r.type, r.source])).toEqual([["screenshot", "shot.png"], ["url", `${pageBase}/pricing.html`]]);
    const screenshot = await bytesOf(t, `/references/${items[1]!.id}/image`);
    expect(screenshot.subarray(0, 4).toString("hex")).toBe("89504e47");
    expect(screenshot.readUInt32BE(16)).toBe(1920);
    // What reached the model: the upload's bytes and the stored screenshot's, in the order given.
    expect(fake.requests.length).toBe(from + 1);
    expect(imagesOf(from)).toEqual([`data:image/png;base64,${PNG_1x1.toString("base64")}`, `data:image/png;base64,${screenshot.toString("base64")}`]);
    const messages = (await t.api("GET", `/blueprints/${bp.id}`)).body.messages;
    expect(messages[0]).toMatchObject({ role: "user", referenceIds: [uploaded.id, items[1]!.id] });
  });

  it("refuses a URL on loopback under the default URL rules before calling the model, storing nothing", async () => {
    const bp = await newBlueprint(strict, "strict");
    const from = fake.requests.length;
    const res = await strict.api("POST", `/blueprints/${bp.id}/chat`, { message: "Like this", references: [{ type: "url", source: `${pageBase}/pricing.html` }] });
    expect([res.status, res.body.code]).toEqual([422, "url_not_allowed"]);
    expect(fake.requests.length).toBe(from);
    expect(await refCount(strict)).toBe(0);
    expect((await strict.api("GET", `/blueprints/${bp.id}`)).body.messages).toEqual([]);
    const metadata = await strict.api("POST", `/blueprints/${bp.id}/references`, { type: "url", source: "http://169.254.169.254/latest" });
    expect([metadata.status, metadata.body.code], JSON.stringify(metadata.body)).toEqual([422, "url_not_allowed"]);
  });

  it("replays the design-from-reference turn: the screenshot of the local page is what the cassette was recorded with", async () => {
    const bp = await newBlueprint(t, "design-from-reference", scenarioModel(DESIGN_FROM_REFERENCE), DESIGN_FROM_REFERENCE.featureName);
    const [first, ...rest] = DESIGN_FROM_REFERENCE.turns;
    const res = await t.api("POST", `/blueprints/${bp.id}/chat`, { message: first!.message, references: first!.referencePaths!.map((p) => ({ type: "url", source: `${pageBase}${p}` })) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.reply).toContain("I see a dark pricing page");
    expect(res.body.blueprint.sections.designSystem).toMatchObject({ status: "partial", borderRadius: "12px", spacing: [8, 16, 32] });
    expect(res.body.blueprint.sections.designSystem.inspirationNotes).toContain("From the reference");
    for (const turn of rest) expect((await t.api("POST", `/blueprints/${bp.id}/chat`, { message: turn.message })).status).toBe(200);
    const done = (await t.api("GET", `/blueprints/${bp.id}`)).body;
    expect([done.readyToBuild, done.sections.designSystem.status, done.sections.designSystem.colors[1]]).toEqual([true, "complete", { name: "accent", value: "#2563eb" }]);
  });
});

describe("answers that do not fit", () => {
  it("a reply that breaks the schema is sent back once, then answered with architect_invalid_reply; the blueprint is unchanged", async () => {
    const bp = await newBlueprint(t, "broken-replies");
    answer = () => ({ text: JSON.stringify({ reply: "Here is the plan", plan: { summary: 3 } }), usage });
    const from = fake.requests.length;
    const res = await t.api("POST", `/blueprints/${bp.id}/chat`, { message: "I want agents that walk around" });
    expect([res.status, res.body.code]).toEqual([502, "architect_invalid_reply"]);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(fake.requests.length).toBe(from + 2);
    expect(JSON.stringify(fake.requests[from + 1]!.body.messages.at(-1))).toContain("That answer was not valid");
    const after = (await t.api("GET", `/blueprints/${bp.id}`)).body;
    expect([after.summary, after.messages, after.updatedAt]).toEqual([bp.summary, [], bp.updatedAt]);
    expect(after.sections).toEqual(bp.sections);
  });

  it("a reply with a code block counts as not fitting: the second answer is taken", async () => {
    const bp = await newBlueprint(t, "code-replies");
    const from = fake.requests.length;
    answer = (n) => (n === from + 1 ? valid("Here:\n```js\nconst agents = [];\n```") : valid("Agents will wander the map."));
    const res = await t.api("POST", `/blueprints/${bp.id}/chat`, { message: "I want agents that walk around" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.reply).toBe("Agents will wander the map.");
    expect(JSON.stringify(fake.requests[from + 1]!.body.messages.at(-1))).toContain("code block");
  });
});
