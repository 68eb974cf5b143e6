// The Architect chat in memory on the recorded social-world conversation (cassettes/architect-social-world.json):
// sections move from empty to complete turn by turn, readyToBuild flips only at the last answer, the history
// keeps each turn's blueprint, usage is recorded, and a build is refused until the plan is ready.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";
import { SOCIAL_WORLD, scenarioModel } from "../../blueprints/demo.ts";
import type { BlueprintView, MessageView } from "../../blueprints/schemas.ts";
import { createWorkspace } from "../auth.ts";

let t: InMemoryApp;
beforeAll(async () => {
  t = await startInMemoryApp("blueprints_api");
});
afterAll(async () => {
  await t?.close();
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const count = async (table: string) => (await t.pool.query<{ n: number }>(`select count(*)::int as n from ${table}`)).rows[0]!.n;
const statuses = (bp: Pick<BlueprintView, "sections">) => Object.fromEntries(Object.entries(bp.sections).map(([k, v]) => [k, (v as { status: string }).status]));

async function newBlueprint(project: string, featureName = SOCIAL_WORLD.featureName): Promise<BlueprintView> {
  const p = await t.api("POST", "/projects", { name: project, template: SOCIAL_WORLD.template, defaultModel: scenarioModel(SOCIAL_WORLD) });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  const bp = await t.api("POST", `/projects/${p.body.id}/blueprints`, { featureName });
  expect(bp.status, JSON.stringify(bp.body)).toBe(201);
  return bp.body;
}

describe("the Architect chat", () => {
  it("three turns move the sections from empty to complete; readyToBuild flips only when the last blocker is answered", async () => {
    const bp = await newBlueprint("aeries");
    expect(bp).toMatchObject({ featureName: "Social World", slug: "social-world", specPath: "docs/specs/social-world.md", status: "draft", readyToBuild: false, references: { items: [] } });
    expect(Object.values(statuses(bp))).toEqual(["empty", "empty", "empty", "empty", "empty"]);

    const [first, second, third] = SOCIAL_WORLD.turns;
    const t1 = await t.api("POST", `/blueprints/${bp.id}/chat`, { message: first!.message });
    expect(t1.status, JSON.stringify(t1.body)).toBe(200);
    expect(t1.body.reply).toContain("Proximity-based, or interest matching?");
    expect(statuses(t1.body.blueprint)).toMatchObject({ dataModel: "partial", uiComponents: "partial", apiEndpoints: "complete" });
    expect(t1.body.blueprint.readyToBuild).toBe(false);
    expect(t1.body.blueprint.blockers).toContain("open question: How should agents decide who to talk to: proximity, or interest matching?");

    const t2 = await t.api("POST", `/blueprints/${bp.id}/chat`, { message: second!.message });
    expect(statuses(t2.body.blueprint)).toMatchObject({ dataModel: "complete", uiComponents: "partial" });
    expect(t2.body.blueprint.readyToBuild).toBe(false);
    expect(t2.body.blueprint.blockers).toEqual(["the UI components are only partly worked out", "open question: Should conversations be visible to everyone, or only when you click on an agent?"]);

    // Still not ready: a build is refused with the blockers and stores nothing.
    const builds = await count("builds");
    const refused = await t.api("POST", `/blueprints/${bp.id}/build`);
    expect([refused.status, refused.body.code]).toEqual([409, "blueprint_not_ready"]);
    expect(refused.body.errors.blockers).toEqual(t2.body.blueprint.blockers);
    expect(await count("builds")).toBe(builds);
    expect((await t.api("GET", `/blueprints/${bp.id}`)).body.status).toBe("draft");

    const t3 = await t.api("POST", `/blueprints/${bp.id}/chat`, { message: third!.message });
    expect(t3.body.reply).toContain("Ready to build?");
    expect(statuses(t3.body.blueprint)).toMatchObject({ dataModel: "complete", uiComponents: "complete", apiEndpoints: "complete" });
    expect([t3.body.blueprint.readyToBuild, t3.body.blueprint.blockers]).toEqual([true, []]);

    // The history: each Architect message carries the blueprint as it stood after its turn.
    const shown = (await t.api("GET", `/blueprints/${bp.id}`)).body;
    expect((shown.messages as MessageView[]).map((m) => `${m.role}:${m.content.slice(0, 12)}`)).toEqual(SOCIAL_WORLD.turns.flatMap((turn) => [`user:${turn.message.slice(0, 12)}`, `architect:${turn.reply.slice(0, 12)}`]));
    expect((shown.messages as MessageView[]).filter((m) => m.role === "architect").map((m) => [m.blueprint!.readyToBuild, m.blueprint!.sections.dataModel.status])).toEqual([
      [false, "partial"],
      [false, "complete"],
      [true, "complete"],
    ]);
    // Every turn's call is in the usage ledger, under the blueprint and its project.
    const usage = await t.pool.query("select project_id from model_usage where operation_id = $1", [bp.id]);
    expect(usage.rows.map((r) => r.project_id)).toEqual([bp.projectId, bp.projectId, bp.projectId]);
  });

  it("builds a ready blueprint (202, the build linked and queued; the blueprint building), then refuses chat, a second build and delete until it ends", async () => {
    const bp = await newBlueprint("aeries-build");
    for (const turn of SOCIAL_WORLD.turns) expect((await t.api("POST", `/blueprints/${bp.id}/chat`, { message: turn.message })).status).toBe(200);
    const viewer = (await t.api("POST", "/tokens", { name: "v", role: "viewer" })).body.token as string;
    expect((await t.api("POST", `/blueprints/${bp.id}/build`, undefined, as(viewer))).status).toBe(403);
    const started = await t.api("POST", `/blueprints/${bp.id}/build`);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body.operationId).toBe(started.body.buildId);
    expect(started.body.blueprint).toMatchObject({ status: "building", lastBuildId: started.body.buildId, readyToBuild: false });
    expect(t.workflows.calls.at(-1)).toMatchObject({ op: "start", name: "shipyard.build", options: { workflowId: started.body.buildId, partitionKey: bp.projectId } });
    const build = (await t.api("GET", `/builds/${started.body.buildId}`)).body;
    expect(build).toMatchObject({ blueprintId: bp.id, status: "pending" });
    expect(build.prompt).toMatch(/^# Feature: Social World\n\n## Summary\n/);
    expect((await t.api("POST", `/blueprints/${bp.id}/build`)).body.code).toBe("blueprint_busy");
    expect((await t.api("POST", `/blueprints/${bp.id}/chat`, { message: "add a weather system" })).body.code).toBe("blueprint_busy");
    expect((await t.api("DELETE", `/blueprints/${bp.id}`)).status).toBe(409);
  });

  it("refuses bad input and other workspaces, changing nothing", async () => {
    const bp = await newBlueprint("aeries-refusals");
    const before = await count("blueprint_messages");
    expect((await t.api("POST", `/blueprints/${bp.id}/chat`, { message: "" })).status).toBe(400);
    expect((await t.api("POST", `/blueprints/${bp.id}/chat`, { message: "hi", code: "x" })).status).toBe(400);
    expect((await t.api("POST", `/blueprints/${bp.id}/chat`, { message: "hi", references: [{ type: "upload", id: "ref_nope" }] })).status).toBe(404);
    expect((await t.api("POST", `/projects/${bp.projectId}/blueprints`, { featureName: "social   world!" })).body.code).toBe("blueprint_exists");
    const other = await createWorkspace(t.pool, "blueprints-elsewhere");
    expect((await t.api("GET", `/blueprints/${bp.id}`, undefined, as(other.token))).status).toBe(404);
    expect((await t.api("POST", `/blueprints/${bp.id}/chat`, { message: "hi" }, as(other.token))).status).toBe(404);
    expect((await t.api("DELETE", `/blueprints/${bp.id}`, undefined, as(other.token))).status).toBe(404);
    expect(await count("blueprint_messages")).toBe(before);
    expect((await t.api("GET", `/projects/${bp.projectId}/blueprints`)).body.blueprints.map((b: { id: string }) => b.id)).toEqual([bp.id]);
    const archived = await t.api("POST", `/blueprints/${bp.id}/archive`);
    expect(archived.body).toMatchObject({ status: "archived", readyToBuild: false });
    expect((await t.api("POST", `/blueprints/${bp.id}/chat`, { message: "hi" })).body.code).toBe("blueprint_busy");
    expect((await t.api("POST", `/blueprints/${bp.id}/build`)).body.code).toBe("blueprint_busy");
    expect((await t.api("POST", `/blueprints/${bp.id}/archive`)).status).toBe(409);
    expect((await t.api("DELETE", `/blueprints/${bp.id}`)).status).toBe(204);
    expect((await t.api("GET", `/blueprints/${bp.id}`)).status).toBe(404);
  });
});
