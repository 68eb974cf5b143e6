// The test phase's preview check of a built site before it is published: the output directory is served on a
// throwaway loopback port (a fresh origin, as the preview host gives each version) and loaded in Chromium.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { checkPreview } from "../previews/check.ts";

/** The preview check's verdict on `dir`, with its screenshot written to `screenshotPath`. */
export async function checkBuiltSite(dir: string, screenshotPath: string): Promise<{ ok: boolean; problems: string[] }> {
  const app = new Hono();
  app.use("*", serveStatic({ root: dir }));
  // A path with no file extension is a client-side route: the app's index.html, as the preview host serves it.
  app.get("*", serveStatic({ root: dir, rewriteRequestPath: (p) => (/\.[a-z0-9]+$/i.test(p) ? p : "/index.html") }));
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once("listening", () => resolve())));
  try {
    const { port } = server.address() as AddressInfo;
    const result = await checkPreview(`http://127.0.0.1:${port}/`, { screenshotPath });
    return { ok: result.ok, problems: result.problems };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
