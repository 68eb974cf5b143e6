import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";
import { previewProject, siteDir } from "../../../test/helpers/previews.ts";
import { createWorkspace } from "../auth.ts";
import { createLogger } from "../../logger.ts";
import { publishVersion } from "../../previews/service.ts";
import { previewUrls } from "../../previews/urls.ts";

let t: InMemoryApp;
let project: string;
const urls = previewUrls({ baseDomain: "localhost", port: 7421 });
beforeAll(async () => {
  t = await startInMemoryApp("previews_api");
  project = await previewProject(t.pool, t.workspaceId);
  const deps = { pool: t.pool, dataDir: t.dataDir, log: createLogger("silent"), urls };
  for (const n of [1, 2]) await publishVersion(deps, { workspaceId: t.workspaceId, projectId: project, dir: await siteDir({ "index.html": `v${n}` }), commit: `c${n}`, buildId: `b${n}` });
});
afterAll(async () => {
  await t?.close();
});

const tokenWith = async (role: string) => (await t.api("POST", "/tokens", { name: `${role}-${Math.random()}`, role })).body.token as string;
const as = (token: string) => ({ authorization: `Bearer ${token}` });

describe("previews API", () => {
  it("lists versions (newest first) and environments with their URLs", async () => {
    const res = await t.api("GET", `/projects/${project}/previews`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.versions.map((v: { version: number; commit: string; buildId: string; url: string }) => [v.version, v.commit, v.buildId, v.url])).toEqual([
      [2, "c2", "b2", urls.versionUrl(project, 2)],
      [1, "c1", "b1", urls.versionUrl(project, 1)],
    ]);
    expect(res.body.environments).toMatchObject({
      staging: { version: null, url: urls.environmentUrl(project, "staging") },
      production: { version: null, url: urls.environmentUrl(project, "production") },
    });
  });

  it("promotes to staging by default, to production when asked, and rolls back", async () => {
    const staging = await t.api("POST", `/projects/${project}/previews/2/promote`);
    expect(staging.status, JSON.stringify(staging.body)).toBe(200);
    expect(staging.body).toMatchObject({ environment: "staging", version: 2, url: urls.environmentUrl(project, "staging") });
    const production = await t.api("POST", `/projects/${project}/previews/2/promote`, { environment: "production" });
    expect(production.body).toMatchObject({ environment: "production", version: 2 });
    await t.api("POST", `/projects/${project}/previews/1/promote`, {});
    const envs = (await t.api("GET", `/projects/${project}/previews`)).body.environments;
    expect([envs.staging.version, envs.production.version]).toEqual([1, 2]);
  });

  it("refuses bad input with a problem and changes nothing", async () => {
    const before = (await t.api("GET", `/projects/${project}/previews`)).body.environments;
    const cases: [string, unknown, number, string][] = [
      [`/projects/${project}/previews/9/promote`, {}, 404, "not_found"],
      [`/projects/${project}/previews/0/promote`, {}, 400, "invalid_request"],
      [`/projects/${project}/previews/x/promote`, {}, 400, "invalid_request"],
      [`/projects/${project}/previews/1/promote`, { environment: "qa" }, 400, "invalid_request"],
      [`/projects/${project}/previews/1/promote`, { environment: "staging", extra: 1 }, 400, "invalid_request"],
      ["/projects/prj_nope/previews/1/promote", {}, 404, "not_found"],
    ];
    for (const [route, body, status, code] of cases) {
      const res = await t.api("POST", route, body);
      expect([route, res.status, res.body.code]).toEqual([route, status, code]);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
    expect((await t.api("GET", `/projects/${project}/previews`)).body.environments).toEqual(before);
  });

  it("lets a viewer read and a member promote, not a viewer", async () => {
    const viewer = await tokenWith("viewer");
    const member = await tokenWith("member");
    expect((await t.api("GET", `/projects/${project}/previews`, undefined, as(viewer))).status).toBe(200);
    const refused = await t.api("POST", `/projects/${project}/previews/1/promote`, {}, as(viewer));
    expect([refused.status, refused.body.code]).toEqual([403, "forbidden"]);
    expect((await t.api("POST", `/projects/${project}/previews/1/promote`, {}, as(member))).status).toBe(200);
  });

  it("answers 404 for a project of another workspace", async () => {
    const other = await createWorkspace(t.pool, `other-${Math.random()}`);
    const read = await t.api("GET", `/projects/${project}/previews`, undefined, as(other.token));
    expect([read.status, read.body.code]).toEqual([404, "not_found"]);
    const promote = await t.api("POST", `/projects/${project}/previews/1/promote`, { environment: "production" }, as(other.token));
    expect(promote.status).toBe(404);
    expect((await t.api("GET", `/projects/${project}/previews`)).body.environments.production.version).toBe(2);
  });

  it("chooses the deploy target (owner only), builtin by default", async () => {
    expect((await t.api("GET", `/projects/${project}/previews`)).body.deployTarget).toBe("builtin");
    const member = await tokenWith("member");
    expect((await t.api("PUT", `/projects/${project}/deploy-target`, { deployTarget: "cloudflare-pages" }, as(member))).status).toBe(403);
    const bad = await t.api("PUT", `/projects/${project}/deploy-target`, { deployTarget: "netlify" });
    expect([bad.status, bad.body.code]).toEqual([400, "invalid_request"]);
    expect((await t.api("GET", `/projects/${project}/previews`)).body.deployTarget).toBe("builtin");
    const chosen = await t.api("PUT", `/projects/${project}/deploy-target`, { deployTarget: "cloudflare-pages" });
    expect([chosen.status, chosen.body]).toEqual([200, { deployTarget: "cloudflare-pages" }]);
    expect((await t.api("GET", `/projects/${project}/previews`)).body.deployTarget).toBe("cloudflare-pages");
    expect((await t.api("PUT", "/projects/prj_nope/deploy-target", { deployTarget: "builtin" })).status).toBe(404);
  });
});
