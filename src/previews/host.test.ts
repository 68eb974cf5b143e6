import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, workspace } from "../../test/helpers/core.ts";
import { fetchPreview, previewHost, previewProject, siteDir } from "../../test/helpers/previews.ts";
import { startInMemoryApp } from "../../test/helpers/in-memory-app.ts";
import type { Pool } from "../db/pool.ts";
import type { PreviewHost } from "./host.ts";
import { promoteVersion, publishVersion, versionDir, type PreviewDeps } from "./service.ts";

let pool: Pool;
let host: PreviewHost;
let deps: PreviewDeps;
let ws: string;
let project: string;
beforeAll(async () => {
  pool = await coreDatabase("preview_host");
  ({ host, deps } = await previewHost(pool));
  ws = await workspace(pool);
  project = await previewProject(pool, ws);
  const site = {
    "index.html": "<!doctype html><h1>home v1</h1>",
    "app.js": "console.log('v1')",
    "style.css": "h1{}",
    "logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "data.json": "{}",
    "docs/index.html": "<h1>docs</h1>",
  };
  await publishVersion(deps, { workspaceId: ws, projectId: project, dir: await siteDir(site), commit: null, buildId: null });
  await publishVersion(deps, { workspaceId: ws, projectId: project, dir: await siteDir({ ...site, "index.html": "<h1>home v2</h1>" }), commit: null, buildId: null });
  await promoteVersion(deps, { workspaceId: ws, projectId: project, version: 2, environment: "staging" });
  await promoteVersion(deps, { workspaceId: ws, projectId: project, version: 1, environment: "production" });
});
afterAll(async () => {
  await host?.close();
  await pool?.end();
});

const text = async (url: string) => {
  const res = await fetchPreview(url);
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text(), headers: res.headers };
};

describe("the preview host", () => {
  it("serves static files with their content types and nosniff", async () => {
    const base = host.urls.versionUrl(project, 1);
    const cases: [string, string][] = [
      ["", "text/html; charset=utf-8"],
      ["app.js", "text/javascript; charset=utf-8"],
      ["style.css", "text/css; charset=utf-8"],
      ["logo.svg", "image/svg+xml; charset=utf-8"],
      ["data.json", "application/json"],
    ];
    for (const [file, type] of cases) {
      const res = await text(`${base}${file}`);
      expect([file, res.status, res.type]).toEqual([file, 200, type]);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("set-cookie")).toBeNull();
    }
  });

  it("gives each environment and version its own origin", async () => {
    expect((await text(host.urls.environmentUrl(project, "staging"))).body).toContain("home v2");
    expect((await text(host.urls.environmentUrl(project, "production"))).body).toContain("home v1");
    expect((await text(host.urls.versionUrl(project, 1))).body).toContain("home v1");
    expect((await text(host.urls.versionUrl(project, 2))).body).toContain("home v2");
    expect(new Set([host.urls.environmentUrl(project, "staging"), host.urls.environmentUrl(project, "production"), host.urls.versionUrl(project, 1)].map((u) => new URL(u).origin)).size).toBe(3);
    // A rollback shows at once on the stable URL.
    await promoteVersion(deps, { workspaceId: ws, projectId: project, version: 1, environment: "staging" });
    expect((await text(host.urls.environmentUrl(project, "staging"))).body).toContain("home v1");
    await promoteVersion(deps, { workspaceId: ws, projectId: project, version: 2, environment: "staging" });
  });

  it("serves a directory's index.html, falls back to index.html for client routes, and 404s missing assets", async () => {
    const base = host.urls.versionUrl(project, 1);
    const dir = await fetchPreview(`${base}docs`);
    expect([dir.status, dir.headers.get("location")]).toEqual([301, "/docs/"]);
    expect((await text(`${base}docs/`)).body).toContain("<h1>docs</h1>");
    const route = await text(`${base}settings/profile`);
    expect([route.status, route.body]).toEqual([200, "<!doctype html><h1>home v1</h1>"]);
    expect((await text(`${base}missing.js`)).status).toBe(404);
    const head = await fetchPreview(`${base}app.js`, { method: "HEAD" });
    expect([head.status, head.headers.get("content-length")]).toEqual([200, "17"]);
  });

  it("never serves a file outside the version's directory", async () => {
    const v1 = versionDir(deps.dataDir, project, 1);
    await fs.writeFile(path.join(path.dirname(v1), "secret.txt"), "SECRET");
    // A link planted in a version's directory (publishing never copies one) is not followed out either.
    await fs.symlink(path.join(path.dirname(v1), "secret.txt"), path.join(v1, "planted.txt"));
    const base = host.urls.versionUrl(project, 1);
    for (const p of ["../secret.txt", "%2e%2e/secret.txt", "..%2fsecret.txt", "docs/..%2f..%2fsecret.txt", "%2e%2e%5csecret.txt", "a%00b", "planted.txt", "../2/index.html"]) {
      const res = await text(`${base}${p}`);
      expect(res.body, p).not.toContain("SECRET");
      expect(res.body, p).not.toContain("home v2");
    }
    expect((await text(`${base}..%2fsecret.txt`)).status).toBe(400);
    expect((await text(`${base}planted.txt`)).status).toBe(404);
  });

  it("answers a placeholder page before anything was promoted, and 404 for unknown projects, versions and hosts", async () => {
    const fresh = await previewProject(pool, ws);
    const placeholder = await text(host.urls.environmentUrl(fresh, "staging"));
    expect([placeholder.status, placeholder.type]).toEqual([200, "text/html; charset=utf-8"]);
    expect(placeholder.body).toContain("No version published yet");
    expect((await text(host.urls.environmentUrl("prj_doesnotexist", "staging"))).status).toBe(404);
    expect((await text(host.urls.versionUrl(project, 99))).status).toBe(404);
    const bare = await fetch(`http://127.0.0.1:${host.port}/`);
    expect(bare.status).toBe(404);
    const post = await fetch(`http://127.0.0.1:${host.port}/`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
  });

  it("serves no API, and the API serves no preview", async () => {
    const base = host.urls.versionUrl(project, 1);
    const api = await text(`${base}api/v1/openapi.json`);
    expect(api.body).not.toContain("openapi");
    const app = await startInMemoryApp("preview_api");
    try {
      const res = await app.request("/", { headers: { host: new URL(base).host } });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain("home v1");
    } finally {
      await app.close();
    }
  });
});
