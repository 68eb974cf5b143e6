// Design references: an uploaded image (PNG, JPEG or WebP, told apart by its first bytes, never by its name or
// header) or a URL captured as a full-page screenshot at 1920x1080 in the Chromium the preview check shares.
// Every request the captured page makes goes through the outbound client, so the URL rules hold for its
// subresources and redirects too, and a name that re-resolves to a private address is refused at connect.
// Thumbnails are drawn by that same Chromium (it decodes all three formats): no image library to install.
import { promises as fs } from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { ensureError, ShipyardError } from "../domain/errors.ts";
import type { OutboundClient } from "../net/outbound-client.ts";
import { acquireBrowser } from "../previews/check.ts";

/** The largest reference image accepted (an upload, or a captured screenshot). */
export const MAX_REFERENCE_BYTES = 10 * 1024 * 1024;
/** The viewport a URL is captured at. */
export const CAPTURE_VIEWPORT = { width: 1920, height: 1080 };
/** A full-page capture is cut off below this height (a page that scrolls forever must not become a huge image). */
const MAX_CAPTURE_HEIGHT = 6000;
const THUMBNAIL = { width: 320, height: 200 };
const CAPTURE_TIMEOUT_MS = 30_000;
/** After the load event, how long late requests get to settle before the screenshot. */
const SETTLE_MS = 1_500;

/** The image types a reference may be. */
export type ImageType = "image/png" | "image/jpeg" | "image/webp";

const startsWith = (b: Uint8Array, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);

/** The image type of `bytes` from their magic numbers, or null when they are none of PNG, JPEG and WebP. */
export function imageTypeOf(bytes: Uint8Array): ImageType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  // RIFF....WEBP
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  return null;
}

/** The checked type of an upload: 413 when too large, 415 when its bytes are not PNG, JPEG or WebP. */
export function checkUpload(bytes: Uint8Array): ImageType {
  if (bytes.length === 0) throw new ShipyardError("invalid_reference", "the upload is empty: send the image's bytes as the request body", 400);
  if (bytes.length > MAX_REFERENCE_BYTES) throw new ShipyardError("payload_too_large", `a reference image may be at most ${MAX_REFERENCE_BYTES / 1024 / 1024} MiB`, 413);
  const type = imageTypeOf(bytes);
  if (!type) throw new ShipyardError("unsupported_media_type", "a reference image must be a PNG, JPEG or WebP file (judged by its bytes)", 415);
  return type;
}

/** The file extension of an image type. */
export const extensionOf = (type: ImageType) => ({ "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp" })[type];

const HOP_HEADERS = new Set(["host", "content-length", "connection", "transfer-encoding", "content-encoding"]);

/** Every http(s) request of the context answered through `outbound` (refused ones aborted); no WebSockets or service workers. */
async function guardContext(context: BrowserContext, outbound: OutboundClient): Promise<void> {
  await context.routeWebSocket(/.*/, (ws) => ws.close({ code: 1008, reason: "WebSockets are not opened while capturing a reference" }));
  await context.route("**/*", async (route) => {
    const req = route.request();
    try {
      await outbound.check(req.url(), "a reference page's request");
      const headers = Object.fromEntries(Object.entries(req.headers()).filter(([k]) => !HOP_HEADERS.has(k.toLowerCase())));
      const body = req.postDataBuffer();
      const res = await outbound.fetch(req.url(), { method: req.method(), headers, body: body ? new Uint8Array(body) : undefined, redirect: "manual", signal: AbortSignal.timeout(CAPTURE_TIMEOUT_MS) });
      const answer = Buffer.from(await res.arrayBuffer());
      const resHeaders: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        if (!HOP_HEADERS.has(k)) resHeaders[k] = v;
      });
      // A redirect goes back to Chromium, whose next request is routed (and checked) again.
      await route.fulfill({ status: res.status, headers: resHeaders, body: answer });
    } catch {
      await route.abort("blockedbyclient").catch(() => undefined);
    }
  });
}

async function screenshotOf(page: Page): Promise<Buffer> {
  const height = await page.evaluate(() => Math.max(document.documentElement.scrollHeight, document.body?.scrollHeight ?? 0));
  const clip = { x: 0, y: 0, width: CAPTURE_VIEWPORT.width, height: Math.min(Math.max(height, CAPTURE_VIEWPORT.height), MAX_CAPTURE_HEIGHT) };
  return page.screenshot({ fullPage: true, clip, type: "png", animations: "disabled", caret: "hide" });
}

/**
 * Capture `url` as a full-page PNG at 1920x1080: 422 `url_not_allowed` under the URL rules, 422
 * `invalid_reference` when the page cannot be loaded.
 */
export async function captureUrl(outbound: OutboundClient, url: string): Promise<Buffer> {
  const checked = await outbound.check(url, "the reference URL");
  const held = await acquireBrowser(CAPTURE_TIMEOUT_MS);
  let context: BrowserContext | null = null;
  try {
    context = await held.browser.newContext({ viewport: CAPTURE_VIEWPORT, serviceWorkers: "block", acceptDownloads: false });
    await guardContext(context, outbound);
    const page = await context.newPage();
    const response = await page.goto(checked.href, { waitUntil: "load", timeout: CAPTURE_TIMEOUT_MS });
    const status = response?.status() ?? 0;
    if (status < 200 || status >= 300) throw new ShipyardError("invalid_reference", `the reference URL ${checked.origin} answered ${status || "nothing"}`, 422);
    await page.waitForLoadState("networkidle", { timeout: SETTLE_MS }).catch(() => undefined);
    const png = await screenshotOf(page);
    if (png.length > MAX_REFERENCE_BYTES) throw new ShipyardError("invalid_reference", "the page's screenshot is larger than a reference may be", 422);
    return png;
  } catch (err) {
    if (err instanceof ShipyardError) throw err;
    throw new ShipyardError("invalid_reference", `the reference URL ${checked.origin} could not be captured: ${ensureError(err).message.split("\n")[0]}`, 422);
  } finally {
    await context?.close().catch(() => undefined);
    held.release();
  }
}

/** A 320x200 PNG thumbnail of an image (the top of it, covering the box). */
export async function thumbnailOf(bytes: Uint8Array, type: ImageType): Promise<Buffer> {
  const held = await acquireBrowser(CAPTURE_TIMEOUT_MS);
  let context: BrowserContext | null = null;
  try {
    // No network at all: the page is only the image, inlined.
    context = await held.browser.newContext({ viewport: THUMBNAIL, javaScriptEnabled: false, offline: true });
    const page = await context.newPage();
    const src = `data:${type};base64,${Buffer.from(bytes).toString("base64")}`;
    await page.setContent(`<html><body style="margin:0"><img src="${src}" style="display:block;width:${THUMBNAIL.width}px;height:${THUMBNAIL.height}px;object-fit:cover;object-position:top"></body></html>`, { waitUntil: "load" });
    return await page.screenshot({ type: "png" });
  } finally {
    await context?.close().catch(() => undefined);
    held.release();
  }
}

/** Where a reference's files live, relative to the data dir. */
export function referencePaths(blueprintId: string, referenceId: string, type: ImageType): { image: string; thumbnail: string } {
  const dir = path.join("blueprints", blueprintId);
  return { image: path.join(dir, `${referenceId}.${extensionOf(type)}`), thumbnail: path.join(dir, `${referenceId}-thumb.png`) };
}

/** Write a reference's image and thumbnail under the data dir. */
export async function writeReferenceFiles(dataDir: string, paths: { image: string; thumbnail: string }, image: Uint8Array, thumbnail: Uint8Array): Promise<void> {
  await fs.mkdir(path.join(dataDir, path.dirname(paths.image)), { recursive: true });
  await fs.writeFile(path.join(dataDir, paths.image), image);
  await fs.writeFile(path.join(dataDir, paths.thumbnail), thumbnail);
}

/** Remove a reference's files (after a turn that failed before storing it). */
export async function removeReferenceFiles(dataDir: string, paths: { image: string; thumbnail: string }): Promise<void> {
  await Promise.all([fs.rm(path.join(dataDir, paths.image), { force: true }), fs.rm(path.join(dataDir, paths.thumbnail), { force: true })]);
}
