// Previews in tests: a project row, a directory of static files, and the preview host on a free port.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { request } from "undici";
import { newId } from "../../src/domain/ids.ts";
import type { Pool } from "../../src/db/pool.ts";
import { createLogger } from "../../src/logger.ts";
import { startPreviewHost, type PreviewHost } from "../../src/previews/host.ts";
import type { PreviewDeps } from "../../src/previews/service.ts";

/** A project of the workspace (only the columns previews need); returns its id. */
export async function previewProject(pool: Pool, workspaceId: string): Promise<string> {
  const id = newId("prj");
  await pool.query("insert into projects (id, workspace_id, name, repo, default_branch) values ($1, $2, $1, 'https://example.com/r.git', 'main')", [id, workspaceId]);
  return id;
}

/** A fresh temp directory holding `files` (path → content). */
export async function siteDir(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-site-"));
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
  return dir;
}

/** The preview host on a free loopback port over a fresh data dir, with the deps publishing needs. */
export async function previewHost(pool: Pool): Promise<{ host: PreviewHost; deps: PreviewDeps; dataDir: string }> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-previews-"));
  const log = createLogger("silent");
  const host = await startPreviewHost({ pool, dataDir, baseDomain: "localhost", log, port: 0, hostname: "127.0.0.1" });
  return { host, deps: { pool, dataDir, log, urls: host.urls }, dataDir };
}

/**
 * GET `url` by connecting to 127.0.0.1 with the URL's Host header (Node's resolver may not know *.localhost). The
 * path is sent as written (`new URL` would resolve `..` and `%2e%2e` before the server sees them).
 */
export async function fetchPreview(url: string, init: RequestInit = {}): Promise<Response> {
  const u = new URL(url);
  const rawPath = url.startsWith(u.origin) ? url.slice(u.origin.length) || "/" : `${u.pathname}${u.search}`;
  const res = await request(`http://127.0.0.1:${u.port}${rawPath}`, { method: init.method === "HEAD" ? "HEAD" : "GET", headers: { host: u.host } });
  const body = Buffer.from(await res.body.arrayBuffer());
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") headers.set(k, v);
  return new Response(res.statusCode === 204 || res.statusCode === 304 || init.method === "HEAD" ? null : body, { status: res.statusCode, headers });
}
