// The deployment pages in a real Chromium against a real Shipyard and runner: a studio project (made from a
// template, as the studio test makes one), "Generate deployment files" with a server 422 shown at its field, the
// deployment page following progress live to `generated`, the generated compose file in the viewer, the list.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_TEMPLATE } from "../../src/builds/demo.ts";
import { COMPOSE_FILE } from "../../src/deployments/generators/docker-compose.ts";
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

const IMAGE = "ghcr.io/acme/bakery:1.0.0";

describe("web UI: deployments", () => {
  it("generates deployment files from a studio project and follows the deployment live to its files", async () => {
    const created = await s.api("POST", "/projects", { name: "bakery", template: DEMO_TEMPLATE });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const projectId = created.body.id as string;

    await page.getByRole("link", { name: "Studio" }).click();
    await page.getByRole("link", { name: "bakery" }).click();
    await page.getByRole("heading", { name: "bakery", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Generate deployment files" }).click();
    const dialog = page.getByRole("dialog", { name: "Generate deployment files" });
    await dialog.waitFor();
    // Prefilled from the template's detection: named after the project, on the port a static site serves.
    await waitFor(async () => (await dialog.getByLabel("App name").inputValue()) === "bakery", 15_000, "the detected name in the form");
    expect(await dialog.getByLabel("Ports").inputValue()).toBe("80");
    await dialog.getByLabel("Generator").selectOption("docker-compose");
    await dialog.getByLabel("Image").fill(IMAGE);

    // The server's 422 is shown at the field it names, and nothing starts.
    await dialog.getByLabel("Replicas").fill("two");
    await dialog.getByRole("button", { name: "Start" }).click();
    const replicas = dialog.getByLabel("Replicas");
    await dialog.locator('[aria-invalid="true"]').waitFor();
    expect(await replicas.getAttribute("aria-invalid")).toBe("true");
    const problemId = (await replicas.getAttribute("aria-describedby"))!;
    expect(await dialog.locator(`[id="${problemId}"]`).textContent()).toMatch(/^config\.replicas: /);
    expect(await dialog.getByLabel("Image").getAttribute("aria-invalid")).toBeNull();
    // Execute mode asks for the generator's target; a wrong Docker host is named at its field.
    await dialog.getByLabel("Execute them against a target").check();
    await dialog.getByLabel("Docker host (DOCKER_HOST)").fill("http://x");
    await dialog.getByRole("button", { name: "Start" }).click();
    const host = dialog.getByLabel("Docker host (DOCKER_HOST)");
    await dialog.locator(`[id="${(await waitFor(() => host.getAttribute("aria-describedby"), 15_000, "the host's problem"))!}"]`).getByText("target.hostUrl: ", { exact: false }).waitFor();
    await dialog.getByLabel("Generate the files and commit them").check();
    expect((await s.api("GET", `/projects/${projectId}/deployments`)).body.deployments).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "deployments-dialog");

    // Every status the progress shows is recorded as it changes on the page (no reload in between).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seenStatuses: string[] }).seenStatuses = seen;
      const note = () => {
        const status = document.querySelector('[aria-label="Deployment progress"]')?.getAttribute("data-status");
        if (status && seen.at(-1) !== status) seen.push(status);
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
    });
    await replicas.fill("2");
    await dialog.getByRole("button", { name: "Start" }).click();
    await page.waitForURL(/\/deployments\/dep_/);
    const deploymentId = new URL(page.url()).pathname.split("/").pop()!;
    const progress = page.getByRole("status", { name: "Deployment progress" });
    await progress.waitFor();
    await page.locator('[aria-label="Deployment progress"][data-status="generated"]').waitFor({ timeout: 120_000 });
    const seen = await page.evaluate(() => (window as unknown as { seenStatuses: string[] }).seenStatuses);
    expect(seen.at(-1)).toBe("generated");
    expect(seen.length, `statuses seen: ${seen.join(" → ")}`).toBeGreaterThan(1);
    expect(["pending", "deploying"]).toContain(seen[0]);
    expect(await progress.textContent()).toContain("step 4 of 4");
    await page.getByRole("list", { name: "Events of the deployment" }).getByText("commit: complete", { exact: false }).waitFor();

    // The files as the API has them, in the tree; the compose file's text in the viewer.
    const view = (await s.api("GET", `/deployments/${deploymentId}`)).body;
    expect(view).toMatchObject({ status: "generated", generator: "docker-compose", commit: expect.any(String) });
    const files = page.getByRole("navigation", { name: "Generated files" });
    for (const f of view.files as { path: string }[]) await files.getByRole("button", { name: f.path.split("/").pop()! }).waitFor();
    await files.getByRole("button", { name: "compose.yaml" }).click();
    const content = (await s.api("GET", `/deployments/${deploymentId}/files?path=${encodeURIComponent(COMPOSE_FILE)}`)).body.files[0].content as string;
    expect(content).toContain(IMAGE);
    const viewer = page.getByLabel(`Contents of ${COMPOSE_FILE}`);
    await viewer.getByText(IMAGE, { exact: false }).waitFor();
    expect(await page.getByText(view.commit as string).count()).toBeGreaterThan(0);
    expect(await page.getByRole("button", { name: "Cancel" }).isDisabled()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "deployment");

    // The list shows it, with the project's name, and keeps it when filtered by that project.
    await page.getByRole("link", { name: "Deployments" }).click();
    const row = page.locator(`tr[data-deployment="${deploymentId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toMatch(/bakery.*docker-compose.*generate.*generated/);
    await page.getByLabel("Project").selectOption(projectId);
    await page.waitForURL(new RegExp(`project=${projectId}`));
    await row.waitFor();
    // One started through the API while the list is open appears without a reload (the operations feed).
    await page.waitForTimeout(1500);
    const other = await s.api("POST", `/projects/${projectId}/deployments`, { generator: "kubernetes", config: { image: IMAGE, ports: [80] } });
    expect(other.status, JSON.stringify(other.body)).toBe(202);
    await page.locator(`tr[data-deployment="${other.body.id}"]`).waitFor({ timeout: 15_000 });
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "deployments");
    expect(errors).toEqual([]);
  }, 300_000);
});

