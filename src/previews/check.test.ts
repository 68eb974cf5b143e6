import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, workspace } from "../../test/helpers/core.ts";
import { previewHost, previewProject, siteDir } from "../../test/helpers/previews.ts";
import type { Pool } from "../db/pool.ts";
import { checkPreview } from "./check.ts";
import type { PreviewHost } from "./host.ts";
import { publishVersion, type PreviewDeps } from "./service.ts";

let pool: Pool;
let host: PreviewHost;
let deps: PreviewDeps;
let ws: string;
let shots: string;
beforeAll(async () => {
  pool = await coreDatabase("preview_check");
  ({ host, deps } = await previewHost(pool));
  ws = await workspace(pool);
  shots = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-shots-"));
});
afterAll(async () => {
  await host?.close();
  await pool?.end();
});

/** Publish `files` as a new project's version 1 and return its URL (served by the real preview host). */
async function served(files: Record<string, string>): Promise<string> {
  const project = await previewProject(pool, ws);
  const v = await publishVersion(deps, { workspaceId: ws, projectId: project, dir: await siteDir(files), commit: null, buildId: null });
  return v.url;
}

describe("checkPreview in Chromium", () => {
  it("passes a page that loads, renders and throws nothing, with a PNG screenshot", async () => {
    const url = await served({
      "index.html": '<!doctype html><html><head><title>Landing</title><link rel="stylesheet" href="style.css"></head><body><div id="app"></div><script src="app.js"></script></body></html>',
      "style.css": "body { background: #eef; }",
      "app.js": "document.getElementById('app').textContent = 'Hello from the app';",
    });
    const screenshotPath = path.join(shots, "good.png");
    const result = await checkPreview(url, { screenshotPath });
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ ok: true, title: "Landing", screenshotPath });
    const png = await fs.readFile(screenshotPath);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });

  it("passes a canvas-only page (a 2D world draws, it has no text)", async () => {
    const url = await served({ "index.html": '<!doctype html><body><canvas width="200" height="100"></canvas></body>' });
    const result = await checkPreview(url, { screenshotPath: path.join(shots, "canvas.png") });
    expect(result.problems).toEqual([]);
  });

  it("fails a page whose script throws, naming the error", async () => {
    const url = await served({ "index.html": "<!doctype html><body><h1>Hi</h1><script>throw new Error('boom in render')</script></body>" });
    const result = await checkPreview(url, { screenshotPath: path.join(shots, "throws.png") });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([expect.stringContaining("uncaught error: boom in render")]);
  });

  it("fails a blank page", async () => {
    const url = await served({ "index.html": "<!doctype html><html><head><title>Blank</title></head><body>  </body></html>" });
    const result = await checkPreview(url, { screenshotPath: path.join(shots, "blank.png") });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(["the page's body is empty: nothing is shown"]);
  });

  it("fails a page whose script is missing (404), naming it", async () => {
    const url = await served({ "index.html": '<!doctype html><body><h1>Hi</h1><script src="assets/main.js"></script></body>' });
    const result = await checkPreview(url, { screenshotPath: path.join(shots, "missing.png") });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([`request failed: ${url}assets/main.js answered 404`]);
  });

  it("fails a page that does not answer 2xx, within its time bound", async () => {
    const result = await checkPreview(host.urls.versionUrl("prj_nosuchproject", 1), { screenshotPath: path.join(shots, "404.png"), timeoutMs: 15_000 });
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toBe("the page answered 404");
  });
});
