import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Hono } from "hono";
import type { AppEnv } from "./auth.ts";

/** Where `npm run build:web` puts the web UI (web/dist of the installation). */
export const WEB_DIST_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "web", "dist");

/** True when the web UI has been built (a fresh clone before `npm install` has none). */
export function webUiBuilt(dir = WEB_DIST_DIR): boolean {
  return existsSync(path.join(dir, "index.html"));
}

/** Paths the UI never answers: the API keeps its own 404s. */
const NOT_UI = /^\/(api|healthz|readyz|metrics)(\/|$)/;

/**
 * Serve the built UI at `/`: files of `dir` as they are (hashed assets cached for good), and index.html for
 * every other path, so that /runs/{id} and the other pages can be reloaded and shared (history routing).
 * Registered after the API, so it only sees what no other route answered.
 */
export function webUiRoutes(app: Hono<AppEnv>, dir: string): void {
  const files = serveStatic<AppEnv>({ root: dir });
  const index = serveStatic<AppEnv>({ root: dir, path: "index.html" });
  app.on(["GET", "HEAD"], "*", async (c, next) => {
    if (NOT_UI.test(c.req.path)) return next();
    // Set before the file is read: serveStatic builds its response before its onFound hook runs.
    const asset = c.req.path.startsWith("/assets/");
    c.header("cache-control", asset ? "public, max-age=31536000, immutable" : "no-cache");
    c.header("x-content-type-options", "nosniff");
    // The UI is never framed (a preview is framed by the UI, never the reverse).
    c.header("x-frame-options", "DENY");
    const file = await files(c, async () => undefined);
    if (file) return file;
    // A missing asset is a 404, not the page (a stale index.html must not be cached as a script).
    if (asset) {
      c.header("cache-control", "no-store");
      return next();
    }
    return index(c, next);
  });
}

/** The Vite config of the UI (web/vite.config.ts). */
export const WEB_VITE_CONFIG = path.join(path.dirname(WEB_DIST_DIR), "vite.config.ts");

/**
 * Build the UI when web/dist is missing (a clone installed with scripts off, or a dist removed by hand), so
 * `shipyard up` always serves it. Vite is loaded only then: a normal start never pays for it.
 */
export async function ensureWebUiBuilt(say: (msg: string) => void): Promise<void> {
  if (webUiBuilt()) return;
  say("building the web UI (web/dist is missing)…");
  const { build } = await import("vite");
  await build({ configFile: WEB_VITE_CONFIG, logLevel: "warn" });
}
