import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, workspace } from "../../test/helpers/core.ts";
import { previewProject, siteDir } from "../../test/helpers/previews.ts";
import type { Pool } from "../db/pool.ts";
import { createLogger } from "../logger.ts";
import { listPreviews, promoteVersion, publishVersion, versionDir, type PreviewDeps } from "./service.ts";
import { previewUrls } from "./urls.ts";

let pool: Pool;
let deps: PreviewDeps;
let ws: string;
beforeAll(async () => {
  pool = await coreDatabase("previews");
  const dataDir = await fs.mkdtemp(path.join((await import("node:os")).tmpdir(), "shipyard-previews-"));
  deps = { pool, dataDir, log: createLogger("silent"), urls: previewUrls({ baseDomain: "localhost", port: 7421 }) };
  ws = await workspace(pool);
});
afterAll(async () => {
  await pool?.end();
});

describe("publishVersion", () => {
  it("numbers versions from 1, copies the files under the data dir and counts them", async () => {
    const project = await previewProject(pool, ws);
    const dir = await siteDir({ "index.html": "<h1>one</h1>", "assets/app.js": "console.log(1)" });
    const v1 = await publishVersion(deps, { workspaceId: ws, projectId: project, dir, commit: "abc123", buildId: null });
    expect(v1).toMatchObject({ version: 1, commit: "abc123", buildId: null, fileCount: 2, totalBytes: 12 + 14 });
    expect(v1.url).toBe(`http://${project.replace("_", "-")}--v1.localhost:7421/`);
    expect(await fs.readFile(path.join(versionDir(deps.dataDir, project, 1), "assets/app.js"), "utf8")).toBe("console.log(1)");
    const v2 = await publishVersion(deps, { workspaceId: ws, projectId: project, dir, commit: null, buildId: null });
    expect(v2.version).toBe(2);
    // Publishing moves no environment.
    const { environments } = await listPreviews(deps, { workspaceId: ws, projectId: project });
    expect(environments.staging.version).toBeNull();
    expect(environments.production.version).toBeNull();
  });

  it("is idempotent per build: a re-run returns the first version and copies nothing again", async () => {
    const project = await previewProject(pool, ws);
    const first = await publishVersion(deps, { workspaceId: ws, projectId: project, dir: await siteDir({ "index.html": "first" }), commit: "c1", buildId: "bld_1" });
    const again = await publishVersion(deps, { workspaceId: ws, projectId: project, dir: await siteDir({ "index.html": "second" }), commit: "c2", buildId: "bld_1" });
    expect(again).toEqual(first);
    expect(await fs.readFile(path.join(versionDir(deps.dataDir, project, 1), "index.html"), "utf8")).toBe("first");
    expect(await fs.readdir(path.join(deps.dataDir, "previews", project))).toEqual(["1"]);
    // Concurrent re-runs of one build make one version too.
    const dir = await siteDir({ "index.html": "x" });
    const all = await Promise.all([1, 2, 3].map(() => publishVersion(deps, { workspaceId: ws, projectId: project, dir, commit: null, buildId: "bld_2" })));
    expect(new Set(all.map((v) => v.version))).toEqual(new Set([2]));
    expect((await listPreviews(deps, { workspaceId: ws, projectId: project })).versions.map((v) => v.version)).toEqual([2, 1]);
  });

  it("does not publish links (one pointing outside would serve what it points at)", async () => {
    const project = await previewProject(pool, ws);
    const dir = await siteDir({ "index.html": "ok" });
    await fs.symlink("/etc/passwd", path.join(dir, "passwd.txt"));
    const v = await publishVersion(deps, { workspaceId: ws, projectId: project, dir, commit: null, buildId: null });
    expect(v.fileCount).toBe(1);
    expect(await fs.readdir(versionDir(deps.dataDir, project, v.version))).toEqual(["index.html"]);
  });

  it("refuses a missing or empty directory, and a project of another workspace (404), creating nothing", async () => {
    const project = await previewProject(pool, ws);
    await expect(publishVersion(deps, { workspaceId: ws, projectId: project, dir: "/nonexistent/dist", commit: null, buildId: null })).rejects.toMatchObject({ code: "nothing_to_publish", status: 422 });
    await expect(publishVersion(deps, { workspaceId: ws, projectId: project, dir: await siteDir({}), commit: null, buildId: null })).rejects.toMatchObject({ code: "nothing_to_publish" });
    const other = await workspace(pool);
    await expect(publishVersion(deps, { workspaceId: other, projectId: project, dir: await siteDir({ "index.html": "x" }), commit: null, buildId: null })).rejects.toMatchObject({ code: "not_found", status: 404 });
    expect((await listPreviews(deps, { workspaceId: ws, projectId: project })).versions).toEqual([]);
    expect(await fs.readdir(path.join(deps.dataDir, "previews", project)).catch(() => [])).toEqual([]);
  });
});

describe("promoteVersion", () => {
  it("points staging and production at versions, rolls back and forward at once", async () => {
    const project = await previewProject(pool, ws);
    for (const n of [1, 2, 3]) await publishVersion(deps, { workspaceId: ws, projectId: project, dir: await siteDir({ "index.html": `v${n}` }), commit: null, buildId: `b${n}` });
    const staging = await promoteVersion(deps, { workspaceId: ws, projectId: project, version: 3, environment: "staging" });
    expect(staging).toMatchObject({ environment: "staging", version: 3, url: `http://${project.replace("_", "-")}.localhost:7421/` });
    const production = await promoteVersion(deps, { workspaceId: ws, projectId: project, version: 2, environment: "production" });
    expect(production.url).toBe(`http://${project.replace("_", "-")}--production.localhost:7421/`);
    await promoteVersion(deps, { workspaceId: ws, projectId: project, version: 1, environment: "staging" });
    let envs = (await listPreviews(deps, { workspaceId: ws, projectId: project })).environments;
    expect([envs.staging.version, envs.production.version]).toEqual([1, 2]);
    await promoteVersion(deps, { workspaceId: ws, projectId: project, version: 3, environment: "staging" });
    envs = (await listPreviews(deps, { workspaceId: ws, projectId: project })).environments;
    expect([envs.staging.version, envs.production.version]).toEqual([3, 2]);
  });

  it("answers 404 for an unknown version or a project of another workspace, and changes nothing", async () => {
    const project = await previewProject(pool, ws);
    await publishVersion(deps, { workspaceId: ws, projectId: project, dir: await siteDir({ "index.html": "v1" }), commit: null, buildId: null });
    await promoteVersion(deps, { workspaceId: ws, projectId: project, version: 1, environment: "staging" });
    await expect(promoteVersion(deps, { workspaceId: ws, projectId: project, version: 9, environment: "staging" })).rejects.toMatchObject({ code: "not_found", status: 404 });
    const other = await workspace(pool);
    await expect(promoteVersion(deps, { workspaceId: other, projectId: project, version: 1, environment: "production" })).rejects.toMatchObject({ code: "not_found", status: 404 });
    await expect(listPreviews(deps, { workspaceId: other, projectId: project })).rejects.toMatchObject({ status: 404 });
    const envs = (await listPreviews(deps, { workspaceId: ws, projectId: project })).environments;
    expect([envs.staging.version, envs.production.version]).toEqual([1, null]);
  });
});
