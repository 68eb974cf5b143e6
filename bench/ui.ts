// (l) The web UI: the built bundle's sizes (initial JS raw and gzipped, and every chunk), the time from opening
// the one-time sign-in link to an interactive runs page (its heading shown and the run list loaded), and the
// run page's time to show the last line of a 10,000-line log, in Debian's Chromium. Median of a few samples.
//   tsx bench/ui.ts
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { CHROMIUM_PATH } from "../src/previews/check.ts";
import { WEB_DIST_DIR } from "../src/server/web-ui.ts";
import { main, median, onCleanup, report, round, startBenchShipyard, submitRun, waitUntil, wallMs } from "./lib/common.ts";

const SAMPLES = 3;
const LINES = 10_000;
const kb = (bytes: number) => round(bytes / 1024, 1);

/** Sizes of the built UI: the scripts index.html loads first, and the rest (loaded when their page opens). */
function bundleSizes() {
  const html = readFileSync(path.join(WEB_DIST_DIR, "index.html"), "utf8");
  const initial = [...html.matchAll(/src="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]!);
  const assets = readdirSync(path.join(WEB_DIST_DIR, "assets"));
  const size = (f: string) => {
    const bytes = readFileSync(path.join(WEB_DIST_DIR, "assets", f));
    return { raw: bytes.length, gzip: gzipSync(bytes).length };
  };
  const sum = (files: string[]) => files.map(size).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip }), { raw: 0, gzip: 0 });
  return { initial: sum(initial), all: sum(assets.filter((f) => f.endsWith(".js"))), css: sum(assets.filter((f) => f.endsWith(".css"))) };
}

main("ui", async () => {
  const sizes = bundleSizes();
  const s = await startBenchShipyard();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, chromiumSandbox: process.getuid?.() !== 0 });
  onCleanup(() => browser.close());
  for (let i = 0; i < 5; i++) await submitRun(s, `name: warm\nsteps:\n  - id: a\n    run: echo ${i}\n`);

  const signInMs: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const link = await s.signInUrl();
    const t0 = wallMs();
    await page.goto(link);
    await page.getByRole("heading", { name: "Runs" }).waitFor();
    await page.locator("tr[data-run]").first().waitFor();
    signInMs.push(wallMs() - t0);
    await context.close();
  }

  const logMs: number[] = [];
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(await s.signInUrl());
  await page.getByRole("heading", { name: "Runs" }).waitFor();
  const runId = await submitRun(s, `name: chatty\nsteps:\n  - id: talk\n    run: seq 1 ${LINES} | sed 's/^/line /'\n`);
  await waitUntil(async () => (await s.api("GET", `/runs/${runId}`)).body.status === "succeeded", 120_000, "the chatty run");
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = wallMs();
    await page.goto(`${s.url}/runs/${runId}`);
    await page.getByRole("log", { name: "Logs of all steps" }).getByText(`line ${LINES}`, { exact: true }).waitFor({ timeout: 120_000 });
    logMs.push(wallMs() - t0);
  }

  const figures = {
    initialJsKb: kb(sizes.initial.raw),
    initialJsGzipKb: kb(sizes.initial.gzip),
    allJsKb: kb(sizes.all.raw),
    allJsGzipKb: kb(sizes.all.gzip),
    cssGzipKb: kb(sizes.css.gzip),
    signInToRunsMs: round(median(signInMs)),
    runPage10kLogMs: round(median(logMs)),
  };
  report("ui", [
    `initial JS: ${figures.initialJsKb} KB raw, ${figures.initialJsGzipKb} KB gzipped (all JS ${figures.allJsKb} KB, ${figures.allJsGzipKb} KB gzipped)`,
    `sign-in link → interactive runs page: ${figures.signInToRunsMs} ms (median of ${SAMPLES})`,
    `run page → last of ${LINES} log lines shown: ${figures.runPage10kLogMs} ms (median of ${SAMPLES})`,
  ], figures);
});
