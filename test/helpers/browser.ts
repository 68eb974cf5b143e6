// A real Chromium (Debian's) for the UI tests: one browser per test file, pages signed in with a one-time link,
// axe-core run inside the page, and a screenshot of every page kept under test-artifacts/ui/.
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { CHROMIUM_PATH } from "../../src/previews/check.ts";
import { startTestShipyard, type TestShipyard, type TestShipyardOptions } from "./shipyard.ts";

/** Where page screenshots go (gitignored). */
export const ARTIFACTS_DIR = path.join(process.cwd(), "test-artifacts", "ui");

/** Launch Chromium headless; as root its own sandbox refuses to start, so it is off then. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, chromiumSandbox: process.getuid?.() !== 0, args: ["--disable-dev-shm-usage"] });
}

/** A new page that fails the test on any uncaught script error. */
export async function newPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  return { page, errors };
}

/** Open the one-time sign-in link and wait for the runs page it lands on. */
export async function signIn(page: Page, signInUrl: string): Promise<void> {
  await page.goto(signInUrl);
  await page.getByRole("heading", { name: "Runs" }).waitFor();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core's serious and critical violations of the page as it is now (id and the first offending node). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }> } }).axe;
    const result = await axe.run(document);
    return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes[0]?.target)}`);
  });
  return found;
}

/** Save a screenshot of the page as test-artifacts/ui/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
}

/** A Shipyard with Chromium on it for one UI test file: a page (its uncaught errors collected), signed in unless told not to. */
export interface UiSession {
  s: TestShipyard;
  browser: Browser;
  page: Page;
  errors: string[];
  /** Close the browser and stop Shipyard. */
  close(): Promise<void>;
}

/** Start a Shipyard (with `options`) and Chromium at once, open a page and sign it in (`signedIn: false`: not). */
export async function openUi(options: TestShipyardOptions & { signedIn?: boolean } = {}): Promise<UiSession> {
  const [s, browser] = await Promise.all([startTestShipyard(options), launchBrowser()]);
  const { page, errors } = await newPage(browser);
  if (options.signedIn !== false) await signIn(page, await s.signInUrl());
  return {
    s,
    browser,
    page,
    errors,
    async close() {
      await browser.close();
      await s.stop();
    },
  };
}
