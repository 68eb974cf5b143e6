// The studio's chat and plan panes in a real Chromium on the Architect's recorded conversation
// (cassettes/architect-social-world.json): a blueprint started from the chat pane, images attached by paste and
// by drag-and-drop (uploaded, shown as thumbnails), a turn that fails shown as an error that changes nothing,
// the pending state while the Architect answers, each turn updating the plan pane, the Build button going from
// its blockers to enabled, the blueprint's build with its five phases over the preview, and the new version in
// the iframe. Then the design-from-reference conversation: a reference by URL (captured in Chromium), its
// thumbnail and the design tokens as swatches and values in the plan pane.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DESIGN_FROM_REFERENCE, REFERENCE_PAGE, SOCIAL_WORLD, scenarioModel } from "../../src/blueprints/demo.ts";
import { launchBrowser, newPage, screenshot, seriousViolations, signIn } from "../helpers/browser.ts";
import { startTestShipyard, waitFor, type TestShipyard } from "../helpers/shipyard.ts";

let s: TestShipyard;
let browser: Browser;
let page: Page;
let errors: string[];
let pages: http.Server;
let pageBase: string;

beforeAll(async () => {
  // The reference page the design-from-reference cassette was recorded with, on loopback (allowed for this server).
  pages = http.createServer((req, res) => (req.url === "/pricing.html" ? res.writeHead(200, { "content-type": "text/html" }).end(REFERENCE_PAGE) : res.writeHead(404).end()));
  await new Promise<void>((r) => pages.listen(0, "127.0.0.1", r));
  pageBase = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  const env = { SHIPYARD_PREVIEW_PORT: "0", SHIPYARD_ALLOW_PRIVATE_URLS: "true", SHIPYARD_ALLOWED_HTTP_HOSTS: "127.0.0.1" };
  [s, browser] = await Promise.all([startTestShipyard({ env }), launchBrowser()]);
  ({ page, errors } = await newPage(browser));
  await signIn(page, await s.signInUrl());
});
afterAll(async () => {
  await browser?.close();
  await s?.stop();
  pages?.close();
});

const previews = async (projectId: string) => (await s.api("GET", `/projects/${projectId}/previews`)).body;

/** Paste (or drop) a small PNG drawn in the page, as a user pasting a screenshot would. */
async function giveImage(how: "paste" | "drop", name: string): Promise<void> {
  const target = how === "paste" ? "#chat-message" : "form.chat-box";
  await page.evaluate(async ({ how, name, target }) => {
    const canvas = document.createElement("canvas");
    canvas.width = 64;
    canvas.height = 40;
    const ctx = canvas.getContext("2d")!;
    ctx.fillStyle = how === "paste" ? "#2563eb" : "#16a34a";
    ctx.fillRect(0, 0, 64, 40);
    const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), "image/png"));
    const data = new DataTransfer();
    data.items.add(new File([blob], name, { type: "image/png" }));
    const init = { bubbles: true, cancelable: true };
    const event = how === "paste" ? new ClipboardEvent("paste", { ...init, clipboardData: data }) : new DragEvent("drop", { ...init, dataTransfer: data });
    document.querySelector(target)!.dispatchEvent(event);
  }, { how, name, target });
}

const plan = () => page.locator('[data-pane="plan"]');
const architectMessages = () => page.locator('[role="log"] [data-role="architect"]');
const section = (key: string) => plan().locator(`[data-section="${key}"]`);

describe("web UI: studio chat and plan", () => {
  it("chat turns update the plan, Build goes from blockers to enabled, the build's phases show, the preview updates", async () => {
    const project = await s.api("POST", "/projects", { name: "aeries", template: SOCIAL_WORLD.template, defaultModel: scenarioModel(SOCIAL_WORLD) });
    expect(project.status, JSON.stringify(project.body)).toBe(201);
    const projectId: string = project.body.id;
    await page.goto(`${s.url}/studio/${projectId}`);
    await page.locator('iframe[title="Preview (staging)"]').waitFor({ timeout: 90_000 });

    // No blueprint yet: the chat pane starts one for a named feature; its plan starts with every section empty.
    await page.getByLabel("Feature name").fill(SOCIAL_WORLD.featureName);
    await page.getByRole("button", { name: "Start blueprint" }).click();
    const build = page.getByRole("button", { name: "Build the blueprint" });
    await build.waitFor();
    expect(await build.isDisabled()).toBe(true);
    await page.getByRole("list", { name: "Blockers" }).getByText("the summary is missing").waitFor();
    expect(await section("dataModel").getAttribute("data-status")).toBe("empty");

    // Images by paste and by drop: uploaded at once, shown as attachments and as the plan's reference thumbnails.
    await giveImage("paste", "pasted.png");
    await page.getByRole("img", { name: "attached image pasted.png" }).waitFor();
    await giveImage("drop", "dropped.png");
    await page.getByRole("img", { name: "attached image dropped.png" }).waitFor();
    await waitFor(async () => (await plan().getByRole("list", { name: "References" }).getByRole("img").count()) === 2, 15_000, "two reference thumbnails");
    for (const img of await plan().getByRole("list", { name: "References" }).getByRole("img").all()) {
      await waitFor(() => img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0), 15_000, "a thumbnail that loads");
    }

    // A turn the model cannot answer (this conversation was recorded without images) is shown as an error,
    // and changes nothing: no message is stored, the plan stays empty, the attachments and text stay to retry.
    const first = SOCIAL_WORLD.turns[0]!;
    await page.getByLabel("Message", { exact: true }).fill(first.message);
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByRole("alert").getByText("cassette").waitFor();
    expect(await architectMessages().count()).toBe(0);
    expect((await s.api("GET", `/blueprints/${(await s.api("GET", `/projects/${projectId}/blueprints`)).body.blueprints[0].id}`)).body.messages).toEqual([]);
    expect(await page.getByLabel("Message", { exact: true }).inputValue()).toBe(first.message);
    await page.getByRole("button", { name: "Remove pasted.png" }).click();
    await page.getByRole("button", { name: "Remove dropped.png" }).click();

    // While the Architect answers the turn is shown as pending (the request is held until that is seen).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const hold = async (route: Route) => {
      await held;
      await route.continue();
    };
    await page.route("**/api/v1/blueprints/*/chat", hold);
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByRole("status").getByText("The Architect is answering").waitFor();
    expect(await page.getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    release();
    await architectMessages().first().waitFor();
    await page.unroute("**/api/v1/blueprints/*/chat", hold);
    expect(await page.getByRole("alert").count()).toBe(0);
    await page.getByRole("log").getByText(first.reply).waitFor();
    await plan().getByRole("list", { name: "Open questions" }).getByText(first.plan.openQuestions[0]!.question).waitFor();
    expect(await section("dataModel").getAttribute("data-status")).toBe("partial");
    expect(await build.isDisabled()).toBe(true);

    // The other turns: the plan follows each, and the last leaves it ready to build.
    for (const [i, turn] of SOCIAL_WORLD.turns.slice(1).entries()) {
      await page.getByLabel("Message", { exact: true }).fill(turn.message);
      await page.getByRole("button", { name: "Send" }).click();
      await waitFor(async () => (await architectMessages().count()) === i + 2, 30_000, `the Architect's answer ${i + 2}`);
    }
    expect(await section("dataModel").getAttribute("data-status")).toBe("complete");
    expect(await section("uiComponents").getAttribute("data-status")).toBe("complete");
    await section("uiComponents").getByText("SpeechBubble").waitFor();
    expect(await page.getByRole("list", { name: "Blockers" }).count()).toBe(0);
    expect(await page.getByRole("list", { name: "Open questions" }).count()).toBe(0);
    expect(await build.isDisabled()).toBe(false);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "studio-plan");

    // The build: its five phases over the preview, live, until the new version is in the iframe.
    await build.click();
    const progress = page.getByRole("status", { name: "Build progress" });
    await progress.waitFor();
    expect(await progress.getByRole("listitem").allTextContents()).toEqual(["spec", "design", "implement", "test", "deploy"]);
    await progress.locator('[aria-current="step"]').waitFor();
    // Building is no blocker to answer: the plan pane lists none, and names the build as the blueprint's.
    await page.getByText("Building: follow it over the preview.").waitFor();
    expect(await page.getByText("Not ready to build").count()).toBe(0);
    await plan().getByText("from the blueprint").waitFor();
    await screenshot(page, "studio-blueprint-building");
    await progress.waitFor({ state: "detached", timeout: 180_000 });
    await page.locator('[data-version="2"]').waitFor();
    const after = await previews(projectId);
    expect(after.environments.staging.version).toBe(2);
    expect(await page.locator('iframe[title="Preview (staging)"]').getAttribute("src")).toBe(after.environments.staging.url);
    await page.getByText(`Blueprint: ${SOCIAL_WORLD.featureName} (built)`).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "studio-blueprint-built");
    expect(errors).toEqual([]);
  }, 360_000);

  it("a reference by URL shows as a thumbnail, and the design tokens as swatches and values", async () => {
    const project = await s.api("POST", "/projects", { name: "pricing", template: DESIGN_FROM_REFERENCE.template, defaultModel: scenarioModel(DESIGN_FROM_REFERENCE) });
    expect(project.status, JSON.stringify(project.body)).toBe(201);
    await page.goto(`${s.url}/studio/${project.body.id}`);
    await page.getByLabel("Feature name").fill(DESIGN_FROM_REFERENCE.featureName);
    await page.getByRole("button", { name: "Start blueprint" }).click();

    const [first, second] = DESIGN_FROM_REFERENCE.turns;
    await page.getByLabel("Reference URL").fill(`${pageBase}${first!.referencePaths![0]}`);
    await page.getByRole("button", { name: "Attach URL" }).click();
    await page.getByRole("list", { name: "Attachments" }).getByText(`${pageBase}/pricing.html`).waitFor();
    await page.getByLabel("Message", { exact: true }).fill(first!.message);
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByRole("log").getByText(first!.reply).waitFor({ timeout: 60_000 });
    expect(await page.getByRole("list", { name: "Attachments" }).count()).toBe(0);

    // The captured page as a thumbnail; the tokens the Architect read from it: swatches with their values.
    const thumbnail = plan().getByRole("img", { name: `reference: ${pageBase}/pricing.html` });
    await thumbnail.waitFor();
    await waitFor(() => thumbnail.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0), 15_000, "the thumbnail loaded");
    const colours = plan().getByRole("list", { name: "Colours" });
    expect(await colours.getByRole("listitem").allTextContents()).toEqual(first!.plan.sections.designSystem.colors.map((c) => ` ${c.name} ${c.value}`));
    expect(await colours.locator(".swatch").first().evaluate((el) => getComputedStyle(el).backgroundColor)).toBe("rgb(15, 23, 42)");
    const design = section("designSystem");
    expect(await design.getAttribute("data-status")).toBe("partial");
    await design.getByText("system-ui, sans-serif · 40px · 700").waitFor();
    await design.getByText("8px · 16px · 32px").waitFor();
    await design.getByText("12px", { exact: true }).waitFor();
    await page.getByRole("list", { name: "Blockers" }).getByText("the design system is only partly worked out").waitFor();

    // The answer to its question completes the plan: a light theme with blue accents, ready to build.
    await page.getByLabel("Message", { exact: true }).fill(second!.message);
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByRole("log").getByText(second!.reply).waitFor({ timeout: 60_000 });
    await colours.getByText("#2563eb").waitFor();
    expect(await design.getAttribute("data-status")).toBe("complete");
    expect(await page.getByRole("button", { name: "Build the blueprint" }).isDisabled()).toBe(false);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "studio-design-tokens");
    expect(errors).toEqual([]);
  }, 180_000);
});
