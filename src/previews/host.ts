// The preview host: an HTTP server of its own (never the API's port) that serves published versions from the data
// dir, chosen by the Host header (see ./urls.ts), so each project, environment and version is a separate origin.
// It reads no cookie or Authorization header and serves no API route: a preview's scripts get nothing of the user's.
import { createReadStream, promises as fs } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Readable } from "node:stream";
import { serve, type ServerType } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { getMimeType } from "hono/utils/mime";
import type { Queryable } from "../db/pool.ts";
import type { Logger } from "../logger.ts";
import { closeHttp } from "../server/process-files.ts";
import { versionDir } from "./service.ts";
import { environmentTarget, getVersion } from "./store.ts";
import { parsePreviewHost, previewUrls, type PreviewSelector, type PreviewUrls } from "./urls.ts";

/** What the preview host reads. */
export interface PreviewHostDeps {
  pool: Queryable;
  dataDir: string;
  /** Host names are `<label>.<baseDomain>` (default `localhost`). */
  baseDomain: string;
  log: Logger;
}

const COMMON_HEADERS = { "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" };

const page = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family:sans-serif;max-width:40rem;margin:4rem auto"><h1>${title}</h1><p>${text}</p></body></html>`;

function htmlAnswer(c: Context, status: 200 | 400 | 404 | 405, title: string, text: string): Response {
  return c.body(page(title, text), status, { ...COMMON_HEADERS, "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
}

/** The version a selector shows: a number, "none yet" (an environment nothing was promoted to) or null (no such thing). */
async function resolveVersion(db: Queryable, s: PreviewSelector): Promise<number | "none" | null> {
  if ("version" in s) return (await getVersion(db, s.projectId, s.version)) ? s.version : null;
  const target = await environmentTarget(db, s.projectId, s.environment);
  if (!target) return null;
  return target.version ?? "none";
}

/** The request path's segments, decoded; null when one could step out of the version's directory. */
function safeSegments(requestPath: string): string[] | null {
  const segments: string[] = [];
  for (const raw of requestPath.split("/")) {
    if (raw === "") continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (seg === "." || seg === ".." || /[/\\\0]/.test(seg)) return null;
    segments.push(seg);
  }
  return segments;
}

/** A regular file inside `root` (links resolved, and refused when they lead out), or null. */
async function fileInside(root: string, candidate: string): Promise<{ path: string; size: number } | null> {
  const real = await fs.realpath(candidate).catch(() => null);
  if (!real || !(real === root || real.startsWith(`${root}${path.sep}`))) return null;
  const stat = await fs.stat(real).catch(() => null);
  return stat?.isFile() ? { path: real, size: stat.size } : null;
}

function fileAnswer(c: Context, file: { path: string; size: number }, cacheControl: string): Response {
  const headers = {
    ...COMMON_HEADERS,
    "content-type": getMimeType(file.path) ?? "application/octet-stream",
    "content-length": String(file.size),
    "cache-control": cacheControl,
  };
  if (c.req.method === "HEAD") return c.body(null, 200, headers);
  return c.body(Readable.toWeb(createReadStream(file.path)) as ReadableStream, 200, headers);
}

/** The preview host's app (Hono), for `serve` or in-memory requests. */
export function createPreviewApp(deps: PreviewHostDeps): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    deps.log.warn({ err: err.message, host: c.req.header("host") }, "preview host request failed");
    return c.body("preview host error", 500, { ...COMMON_HEADERS, "content-type": "text/plain; charset=utf-8" });
  });
  app.all("*", async (c) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") return htmlAnswer(c, 405, "Method not allowed", "Previews are read-only.");
    const selector = parsePreviewHost(c.req.header("host"), deps.baseDomain);
    if (!selector) return htmlAnswer(c, 404, "No such preview", "This host name does not name a preview.");
    const version = await resolveVersion(deps.pool, selector);
    if (version === null) return htmlAnswer(c, 404, "No such preview", "There is no such project or version.");
    if (version === "none") return htmlAnswer(c, 200, "No version published yet", "This project has no version in this environment yet: a build will put one here.");
    const segments = safeSegments(c.req.path);
    if (!segments) return htmlAnswer(c, 400, "Bad path", "This path is not allowed.");
    // An environment's URL shows another version after a promote; a version's files never change.
    const cacheControl = "version" in selector ? "public, max-age=3600" : "no-cache";
    const root = await fs.realpath(versionDir(deps.dataDir, selector.projectId, version)).catch(() => null);
    if (!root) return htmlAnswer(c, 404, "No such preview", "This version's files are missing.");
    const target = path.join(root, ...segments);
    const stat = await fs.stat(target).catch(() => null);
    if (stat?.isDirectory()) {
      // Relative links of a directory's index.html resolve against the directory only with the slash.
      if (!c.req.path.endsWith("/")) return c.redirect(`${c.req.path}/${new URL(c.req.url).search}`, 301);
      const index = await fileInside(root, path.join(target, "index.html"));
      if (index) return fileAnswer(c, index, cacheControl);
    } else {
      const file = await fileInside(root, target);
      if (file) return fileAnswer(c, file, cacheControl);
    }
    // Client-side routes (no extension) get the app's index.html; a missing asset stays a 404.
    const last = segments.at(-1) ?? "";
    if (!last.includes(".")) {
      const index = await fileInside(root, path.join(root, "index.html"));
      if (index) return fileAnswer(c, index, "no-cache");
    }
    return htmlAnswer(c, 404, "Not found", "No such file in this version.");
  });
  return app;
}

/** A listening preview host. */
export interface PreviewHost {
  port: number;
  /** The host's app, for in-process requests (an http step checking a preview of this process). */
  fetch: (request: Request) => Response | Promise<Response>;
  urls: PreviewUrls;
  close(): Promise<void>;
}

/** Listen on `port` (0: any free port) and serve previews. */
export async function startPreviewHost(deps: PreviewHostDeps & { port: number; hostname: string }): Promise<PreviewHost> {
  const app = createPreviewApp(deps);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: deps.port, hostname: deps.hostname }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  return { port, fetch: (request) => app.fetch(request), urls: previewUrls({ baseDomain: deps.baseDomain, port }), close: () => closeHttp(server as Server) };
}
