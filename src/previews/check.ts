// The preview check: load a preview in headless Chromium (Debian's, driven by playwright-core: no browser is
// downloaded) and say whether it really works. The worst failure of prompt-to-app tools is a blank preview, so a
// page passes only when it loads, shows something, throws nothing and every request it makes succeeds.
import { promises as fs } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext } from "playwright-core";

/** Where Chromium is (`.ci/run` installs Debian's); SHIPYARD_CHROMIUM overrides. */
export const CHROMIUM_PATH = process.env.SHIPYARD_CHROMIUM ?? "/usr/bin/chromium";

/** What the check found. */
export interface PreviewCheck {
  ok: boolean;
  /** Each thing wrong, in words a coding agent can act on. */
  problems: string[];
  screenshotPath: string;
  title: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** How long a page that rendered nothing yet gets to render (scripts often draw after the load event). */
const RENDER_WAIT_MS = 3_000;
/** How long to let late requests and errors arrive after the page rendered. */
const SETTLE_MS = 1_500;

/** True when the body shows text or a visible element that draws (canvas, image, video, svg, form control). */
function bodyShowsSomething(): boolean {
  const body = document.body;
  if (!body) return false;
  if (body.innerText.trim().length > 0) return true;
  for (const el of Array.from(body.querySelectorAll("canvas, img, svg, video, iframe, input, button, textarea, select"))) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.height > 0) return true;
  }
  return false;
}

/** A browser left open for the next check stays this long after the last one (a launch costs about a second). */
const IDLE_CLOSE_MS = 60_000;
let shared: { browser: Promise<Browser>; users: number; idle: NodeJS.Timeout | null } | null = null;

/** The process's Chromium, launched on first use; every user gets a fresh context (no cookies or storage shared). Release it when done. */
export async function acquireBrowser(timeoutMs: number): Promise<{ browser: Browser; release(): void }> {
  if (!shared) {
    const launching = chromium.launch({
      executablePath: CHROMIUM_PATH,
      // Chromium's own sandbox refuses to start as root; as any other user it stays on.
      chromiumSandbox: process.getuid?.() !== 0,
      timeout: timeoutMs,
    });
    const entry = { browser: launching, users: 0, idle: null as NodeJS.Timeout | null };
    shared = entry;
    void launching.then(
      (b) => b.once("disconnected", () => shared === entry && (shared = null)),
      () => shared === entry && (shared = null),
    );
  }
  const entry = shared;
  entry.users += 1;
  if (entry.idle) clearTimeout(entry.idle);
  entry.idle = null;
  const release = () => {
    entry.users -= 1;
    if (entry.users > 0) return;
    entry.idle = setTimeout(() => {
      if (shared === entry) shared = null;
      void entry.browser.then((b) => b.close()).catch(() => undefined);
    }, IDLE_CLOSE_MS);
    entry.idle.unref();
  };
  try {
    return { browser: await entry.browser, release };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * Load `url` in headless Chromium: ok when the page loads (2xx), has a non-empty body, no uncaught errors
 * (pageerror) and no failed requests (requestfailed or a 4xx/5xx subresource); a full-page PNG screenshot is
 * written to `screenshotPath`. Bounded by `timeoutMs` (default 30 s).
 */
export async function checkPreview(url: string, opts: { screenshotPath: string; timeoutMs?: number }): Promise<PreviewCheck> {
  const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const left = (cap = Infinity) => Math.max(1, Math.min(cap, deadline - Date.now()));
  const problems: string[] = [];
  let title = "";
  let held: { browser: Browser; release(): void } | null = null;
  let context: BrowserContext | null = null;
  try {
    held = await acquireBrowser(left());
    context = await held.browser.newContext();
    const page = await context.newPage();
    page.on("pageerror", (err) => problems.push(`uncaught error: ${err.message}`));
    // One problem per URL: a 404 for a script is also reported as a failed (blocked) request right after.
    const failedUrls = new Set<string>();
    const requestFailed = (at: string, why: string) => {
      if (!failedUrls.has(at)) problems.push(`request failed: ${at} ${why}`);
      failedUrls.add(at);
    };
    page.on("requestfailed", (req) => requestFailed(req.url(), `(${req.failure()?.errorText ?? "failed"})`));
    page.on("response", (res) => {
      // The page's own answer is judged below, once.
      const isPage = res.request().isNavigationRequest() && res.frame() === page.mainFrame();
      if (res.status() >= 400 && !isPage) requestFailed(res.url(), `answered ${res.status()}`);
    });
    const response = await page.goto(url, { waitUntil: "load", timeout: left() });
    const status = response?.status() ?? 0;
    if (status < 200 || status >= 300) problems.push(`the page answered ${status || "nothing"}`);
    const rendered = await page.waitForFunction(bodyShowsSomething, undefined, { timeout: left(RENDER_WAIT_MS) }).then(() => true, () => false);
    if (!rendered) problems.push("the page's body is empty: nothing is shown");
    await page.waitForLoadState("networkidle", { timeout: left(SETTLE_MS) }).catch(() => undefined);
    title = await page.title();
    await fs.mkdir(path.dirname(opts.screenshotPath), { recursive: true });
    await page.screenshot({ path: opts.screenshotPath, fullPage: true, type: "png", timeout: left() });
  } catch (err) {
    problems.push(`the check could not finish: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  } finally {
    await context?.close().catch(() => undefined);
    held?.release();
  }
  return { ok: problems.length === 0, problems, screenshotPath: opts.screenshotPath, title };
}

/** Close the browser the checks share, if one is open (at shutdown). */
export async function closePreviewBrowser(): Promise<void> {
  const entry = shared;
  shared = null;
  if (entry?.idle) clearTimeout(entry.idle);
  await entry?.browser.then((b) => b.close()).catch(() => undefined);
}
