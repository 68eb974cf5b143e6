// The build routes in memory: what they start, refuse and cancel (the builds themselves run in test/builds.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";
import { createWorkspace } from "../auth.ts";

let t: InMemoryApp;
beforeAll(async () => {
  t = await startInMemoryApp("builds_api");
});
afterAll(async () => {
  await t?.close();
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const buildCount = async () => (await t.pool.query<{ n: number }>("select count(*)::int as n from builds")).rows[0]!.n;

describe("build API", () => {
  it("starts a build (202) on the project's partition of the builds queue, shows and lists it; a viewer may read but not build", async () => {
    const project = (await t.api("POST", "/projects", { name: "site", template: "static", defaultModel: "replay:build-demo" })).body;
    const viewer = (await t.api("POST", "/tokens", { name: "v", role: "viewer" })).body.token as string;
    expect((await t.api("POST", `/projects/${project.id}/builds`, { prompt: "a page" }, as(viewer))).status).toBe(403);
    const res = await t.api("POST", `/projects/${project.id}/builds`, { prompt: "a page" });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ operationId: res.body.id, projectId: project.id, prompt: "a page", status: "pending", phase: null, previewUrl: null });
    expect(res.body.id).toMatch(/^bld_/);
    expect(t.workflows.calls.at(-1)).toMatchObject({ op: "start", name: "shipyard.build", options: { workflowId: res.body.id, queue: "shipyard-builds", partitionKey: project.id } });
    expect((await t.api("GET", `/builds/${res.body.id}`, undefined, as(viewer))).body.id).toBe(res.body.id);
    expect((await t.api("GET", `/projects/${project.id}/builds`, undefined, as(viewer))).body.builds.map((b: { id: string }) => b.id)).toEqual([res.body.id]);
    expect((await t.api("GET", `/builds/${res.body.id}/screenshot`)).status).toBe(404);
  });

  it("cancels a build that has not started: cancelled with its status and complete events, then 409", async () => {
    const project = (await t.api("POST", "/projects", { name: "to-cancel", template: "static", defaultModel: "replay:build-demo" })).body;
    const build = (await t.api("POST", `/projects/${project.id}/builds`, { prompt: "a page" })).body;
    const cancelled = await t.api("POST", `/builds/${build.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "cancelled", error: "cancelled" });
    // (This workflow control knows no workflow: the build is ended here, as one whose workflow never started.)
    const events = (await t.api("GET", `/operations/${build.id}/events`, undefined, { accept: "application/json" })).body.events;
    expect(events.map((e: { type: string; payload: { status: string } }) => `${e.type}:${e.payload.status}`)).toEqual(["status:pending", "status:cancelled", "complete:cancelled"]);
    expect((await t.api("POST", `/builds/${build.id}/cancel`)).status).toBe(409);
    expect((await t.api("POST", `/operations/${build.id}/cancel`)).status).toBe(409);
  });

  it("refuses what it cannot build, and stores nothing", async () => {
    const before = await buildCount();
    const noModel = (await t.api("POST", "/projects", { name: "no-model", template: "static" })).body;
    const refused = await t.api("POST", `/projects/${noModel.id}/builds`, { prompt: "a page" });
    expect([refused.status, refused.body.code]).toEqual([400, "no_model"]);
    expect((await t.api("POST", `/projects/${noModel.id}/builds`, { prompt: "" })).status).toBe(400);
    expect((await t.api("POST", `/projects/${noModel.id}/builds`, { prompt: "x", maxFixAttempts: 9 })).status).toBe(400);
    const other = await createWorkspace(t.pool, "builds-elsewhere");
    expect((await t.api("POST", `/projects/${noModel.id}/builds`, { prompt: "x" }, as(other.token))).status).toBe(404);
    expect(await buildCount()).toBe(before);
  });
});
