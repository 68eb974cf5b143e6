// The studio in a real Chromium on the demo's recorded cassette (src/builds/demo.ts): the template gallery, a
// project's first deploy in the preview iframe, a build from the prompt box with its phases over the preview, the
// new version in the iframe, a rollback to the first version, and Publish to production.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_MODEL, DEMO_TEMPLATE, SCENARIOS } from "../../src/builds/demo.ts";
import { openUi, screenshot, seriousViolations, type UiSession } from "../helpers/browser.ts";
import { waitFor, type TestShipyard } from "../helpers/shipyard.ts";

let ui: UiSession;
let s: TestShipyard;
let page: Page;
let errors: string[];

beforeAll(async () => {
  ui = await openUi({ env: { SHIPYARD_PREVIEW_PORT: "0" } });
  ({ s, page, errors } = ui);
});
afterAll(async () => {
  await ui?.close();
});

const bakery = SCENARIOS[0]!;
const previews = async (projectId: string) => (await s.api("GET", `/projects/${projectId}/previews`)).body;

describe("web UI: studio", () => {
  it("gallery → project → build on the demo cassette → preview in the iframe → rollback → publish", async () => {
    const template = (await s.api("GET", "/templates")).body.templates.find((t: any) => t.name === DEMO_TEMPLATE);
    await page.getByRole("link", { name: "Studio" }).click();
    await page.getByRole("button", { name: new RegExp(template.title) }).click();
    await page.getByLabel("Project name").fill("bakery");
    await page.getByLabel("Model (optional)").fill(DEMO_MODEL);
    await page.getByRole("button", { name: "Create project" }).click();
    await page.getByRole("heading", { name: "bakery", level: 1 }).waitFor();
    const projectId = new URL(page.url()).pathname.split("/").pop()!;

    // The first deploy (v1) comes up in the sandboxed iframe of the staging environment.
    const frame = page.locator('iframe[title="Preview (staging)"]');
    await frame.waitFor({ timeout: 60_000 });
    expect(await frame.getAttribute("sandbox")).toBe("allow-scripts allow-forms");
    expect(await frame.getAttribute("src")).toBe((await previews(projectId)).environments.staging.url);
    expect(await seriousViolations(page)).toEqual([]);

    // A build from the prompt box: its progress is shown over the preview while it runs, live.
    await page.getByLabel("What should change?").fill(bakery.prompt);
    await page.getByRole("button", { name: "Build", exact: true }).click();
    const progress = page.getByRole("status", { name: "Build progress" });
    await progress.waitFor();
    await progress.locator('[aria-current="step"]').waitFor();
    await screenshot(page, "studio-building");
    await progress.waitFor({ state: "detached", timeout: 120_000 });
    await page.locator('[data-version="2"]').waitFor();
    expect((await previews(projectId)).environments.staging.version).toBe(2);
    await page.frameLocator('iframe[title="Preview (staging)"]').getByRole("heading", { name: "Crumb & Co." }).waitFor();
    await screenshot(page, "studio-project");

    // Rollback: staging shows v1 again, at once.
    await page.getByRole("button", { name: "Show v1 on staging" }).click();
    await waitFor(async () => (await previews(projectId)).environments.staging.version === 1, 15_000, "staging back on v1");
    await page.locator('[data-version="1"]').getByText("(shown on staging)").waitFor();
    await waitFor(async () => (await page.frameLocator('iframe[title="Preview (staging)"]').getByRole("heading", { name: "Crumb & Co." }).count()) === 0, 15_000, "v1 in the iframe");

    // Publish what staging shows to production; the page follows the publish to its end.
    await page.getByRole("button", { name: "Publish" }).click();
    await page.locator('[data-publish="succeeded"]').waitFor({ timeout: 120_000 });
    expect((await previews(projectId)).environments.production.version).toBe(1);
    await page.getByRole("radio", { name: "production" }).click();
    await page.locator('iframe[title="Preview (production)"]').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  }, 300_000);
});
