// The other pages in a real Chromium: a 10,000-line log that still shows its end and scrolls, job queues
// reordered and moved by dragging, and every page free of serious accessibility violations (with a screenshot).
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openUi, screenshot, seriousViolations, type UiSession } from "../helpers/browser.ts";
import { ADD_MUL_PATCH, makeFixtureRemote } from "../helpers/git-fixture.ts";
import { waitFor, type TestShipyard } from "../helpers/shipyard.ts";

let ui: UiSession;
let s: TestShipyard;
let page: Page;
let errors: string[];

beforeAll(async () => {
  ui = await openUi();
  ({ s, page, errors } = ui);
});
afterAll(async () => {
  await ui?.close();
});

const LINES = 10_000;

describe("web UI: pages", () => {
  it(`a run with ${LINES} log lines shows its last line, keeps only a window of rows in the page, and scrolls back to the first`, async () => {
    const run = await s.api("POST", "/runs", { workflow: `name: chatty\nsteps:\n  - id: talk\n    run: seq 1 ${LINES} | sed 's/^/line /'\n` });
    expect(run.status).toBe(201);
    await page.goto(`${s.url}/runs/${run.body.id}`);
    const log = page.getByRole("log", { name: "Logs of all steps" });
    await waitFor(async () => (await log.getAttribute("data-lines")) === String(LINES), 60_000, "every line on the page");
    await log.getByText(`line ${LINES}`, { exact: true }).waitFor();
    const rendered = await log.locator(".log-line").count();
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(200);
    await log.evaluate((el) => el.scrollTo({ top: 0 }));
    await log.getByText("line 1", { exact: true }).waitFor();
    await page.getByRole("tab", { name: "talk" }).click();
    await page.getByRole("log", { name: "Logs of step talk" }).getByText("line 1", { exact: true }).waitFor();
    expect(errors).toEqual([]);
  });

  it("reorders the backlog and moves a job to the rework queue by dragging", async () => {
    const fixture = await makeFixtureRemote();
    const project = await s.api("POST", "/projects", { name: "math", repo: fixture.remote, defaultBranch: "main", verify: ["bash test.sh"] });
    expect(project.status).toBe(201);
    // Paused: the jobs wait where they are put.
    for (const q of ["rework", "backlog"]) expect((await s.api("POST", `/queues/${q}/pause`)).status).toBe(200);
    const ids: string[] = [];
    for (const prompt of ["first job", "second job", "third job"]) {
      const job = await s.api("POST", "/jobs", { projectId: project.body.id, prompt, executor: { type: "patch", diff: ADD_MUL_PATCH } });
      expect(job.status).toBe(201);
      ids.push(job.body.id);
    }
    await page.getByRole("link", { name: "Jobs" }).click();
    const item = (id: string) => page.locator(`[data-job="${id}"]`);
    await item(ids[2]!).waitFor();
    const order = async (queue: string) => ((await s.api("GET", "/queues")).body.queues.find((q: any) => q.queue === queue).jobs as any[]).map((j) => j.id);
    expect(await order("backlog")).toEqual(ids);

    await drag(page, item(ids[2]!).getByRole("button"), item(ids[0]!));
    await waitFor(async () => JSON.stringify(await order("backlog")) === JSON.stringify([ids[2], ids[0], ids[1]]), 15_000, "third job first");
    await page.locator(`[data-queue="backlog"] [data-job]`).first().and(item(ids[2]!)).waitFor();

    await drag(page, item(ids[1]!).getByRole("button"), page.locator(`[data-queue="rework"]`));
    await waitFor(async () => JSON.stringify(await order("rework")) === JSON.stringify([ids[1]]), 15_000, "second job in rework");
    await page.locator(`[data-queue="rework"]`).locator(`[data-job="${ids[1]}"]`).waitFor();
    // A job added elsewhere while the page is open appears in its queue without a reload (the operations feed);
    // first the page's own re-reads after the moves settle, so none of them is what shows it.
    await page.waitForTimeout(1500);
    const added = await s.api("POST", "/jobs", { projectId: project.body.id, prompt: "fourth job", executor: { type: "patch", diff: ADD_MUL_PATCH } });
    expect(added.status).toBe(201);
    await page.locator(`[data-queue="backlog"]`).locator(`[data-job="${added.body.id}"]`).waitFor({ timeout: 15_000 });
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "jobs");
    await item(ids[0]!).getByRole("link").click();
    await page.getByRole("heading", { name: /Job/ }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "job");
    expect(errors).toEqual([]);
  });

  for (const [name, heading] of [["runners", "Runners"], ["usage", "Usage"], ["settings", "Settings"], ["studio", "Studio"]] as const) {
    it(`/${name} loads by its URL with no serious accessibility violation`, async () => {
      await page.goto(`${s.url}/${name}`);
      await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
      if (name === "runners") await page.getByText("local").first().waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, name);
      expect(errors).toEqual([]);
    });
  }
});

/** Drag with the mouse as a person would: press, move past the activation distance, move over the target, release. */
async function drag(page: Page, from: ReturnType<Page["locator"]>, to: ReturnType<Page["locator"]>): Promise<void> {
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2 + 8, { steps: 4 });
  await page.mouse.move(b.x + b.width / 2, b.y + Math.min(b.height / 2, 12), { steps: 12 });
  await page.mouse.up();
}
