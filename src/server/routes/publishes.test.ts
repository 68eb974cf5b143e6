// The publish and environment-scoped secret routes in memory: what they accept, refuse, and start.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";
import { previewProject, siteDir } from "../../../test/helpers/previews.ts";
import { createLogger } from "../../logger.ts";
import { promoteVersion, publishVersion } from "../../previews/service.ts";
import { previewUrls } from "../../previews/urls.ts";

let t: InMemoryApp;
const urls = previewUrls({ baseDomain: "localhost", port: 7421 });
beforeAll(async () => {
  t = await startInMemoryApp("publishes_api");
});
afterAll(async () => {
  await t?.close();
});

const tokenWith = async (role: string) => (await t.api("POST", "/tokens", { name: `${role}-${Math.random()}`, role })).body.token as string;
const as = (token: string) => ({ authorization: `Bearer ${token}` });
const publishCount = async () => (await t.pool.query<{ n: number }>("select count(*)::int as n from publishes")).rows[0]!.n;

describe("publish API", () => {
  it("starts a publish of what staging shows (202), lists and shows it; a viewer may read but not publish", async () => {
    const project = await previewProject(t.pool, t.workspaceId);
    const deps = { pool: t.pool, dataDir: t.dataDir, log: createLogger("silent"), urls };
    const v = await publishVersion(deps, { workspaceId: t.workspaceId, projectId: project, dir: await siteDir({ "index.html": "v1" }), commit: null, buildId: null });
    await promoteVersion(deps, { workspaceId: t.workspaceId, projectId: project, version: v.version, environment: "staging" });

    const viewer = await tokenWith("viewer");
    expect((await t.api("POST", `/projects/${project}/publish`, {}, as(viewer))).status).toBe(403);
    const res = await t.api("POST", `/projects/${project}/publish`, { fromEnvironment: "staging", toEnvironment: "production" }, as(await tokenWith("member")));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ operationId: res.body.id, status: "pending", version: 1, fromEnvironment: "staging", toEnvironment: "production", deployTarget: "builtin" });
    expect(res.body.id).toMatch(/^pub_/);
    expect(t.workflows.calls.at(-1)).toMatchObject({ op: "start", name: "shipyard.publish", options: { workflowId: res.body.id, partitionKey: project } });

    expect((await t.api("GET", `/publishes/${res.body.id}`, undefined, as(viewer))).body).toMatchObject({ id: res.body.id, version: 1 });
    expect((await t.api("GET", `/operations/${res.body.id}`, undefined, as(viewer))).status).toBe(200);
    expect((await t.api("GET", `/projects/${project}/publishes`, undefined, as(viewer))).body.publishes.map((p: { id: string }) => p.id)).toEqual([res.body.id]);
    // With no body it publishes staging to production.
    expect((await t.api("POST", `/projects/${project}/publish`)).body).toMatchObject({ fromEnvironment: "staging", toEnvironment: "production" });

    const cancelled = await t.api("POST", `/operations/${res.body.id}/cancel`);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(202);
    expect(cancelled.body).toMatchObject({ kind: "publish", status: "cancelled", detail: { status: "cancelled" } });
    expect((await t.api("POST", `/operations/${res.body.id}/cancel`)).status).toBe(409);
  });

  it("refuses bad requests with a problem and stores nothing", async () => {
    const project = await previewProject(t.pool, t.workspaceId);
    const before = await publishCount();
    const empty = await t.api("POST", `/projects/${project}/publish`, { fromEnvironment: "staging", toEnvironment: "production" });
    expect(empty.status).toBe(409);
    expect(empty.body).toMatchObject({ code: "nothing_to_publish", detail: expect.stringContaining("staging has no version yet: build first") });
    expect((await t.api("POST", `/projects/${project}/publish`, { fromEnvironment: "staging", toEnvironment: "staging" })).status).toBe(400);
    expect((await t.api("POST", `/projects/${project}/publish`, { toEnvironment: "qa" })).status).toBe(400);
    expect((await t.api("POST", `/projects/prj_nope/publish`, {})).status).toBe(404);
    expect(await publishCount()).toBe(before);
  });
});

describe("environment-scoped secrets API", () => {
  it("stores a secret per environment, lists names with their environment, deletes one scope", async () => {
    expect((await t.api("PUT", "/secrets/CLOUDFLARE_API_TOKEN", { value: "plain" })).status).toBe(204);
    expect((await t.api("PUT", "/secrets/CLOUDFLARE_API_TOKEN", { value: "prod", environment: "production" })).status).toBe(204);
    expect((await t.api("PUT", "/secrets/CLOUDFLARE_API_TOKEN", { value: "x", environment: "qa" })).status).toBe(400);
    const listed = await t.api("GET", "/secrets");
    expect(listed.body.secrets).toEqual([
      { name: "CLOUDFLARE_API_TOKEN", environment: null },
      { name: "CLOUDFLARE_API_TOKEN", environment: "production" },
    ]);
    expect(await t.secrets.get(t.workspaceId, "CLOUDFLARE_API_TOKEN", "production")).toBe("prod");
    expect(await t.secrets.get(t.workspaceId, "CLOUDFLARE_API_TOKEN")).toBe("plain");
    expect((await t.api("DELETE", "/secrets/CLOUDFLARE_API_TOKEN?environment=production")).status).toBe(204);
    expect((await t.api("DELETE", "/secrets/CLOUDFLARE_API_TOKEN?environment=production")).status).toBe(404);
    expect((await t.api("GET", "/secrets")).body.secrets).toEqual([{ name: "CLOUDFLARE_API_TOKEN", environment: null }]);
  });
});
