// The runs list and the usage page in a real Chromium against a real Shipyard: a run started through the API
// appears in the open list and turns succeeded without a reload (the workspace's operation feed); filters in
// the URL are the server's; usage draws one series per model and per project.
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Page, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordUsage } from "../../src/agents/llm/index.ts";
import { createPool, type Pool } from "../../src/db/pool.ts";
import { openUi, screenshot, seriousViolations, type UiSession } from "../helpers/browser.ts";
import { runToEnd, waitFor, type TestShipyard } from "../helpers/shipyard.ts";

let ui: UiSession;
let s: TestShipyard;
let page: Page;
let errors: string[];
let pool: Pool;

beforeAll(async () => {
  ui = await openUi();
  ({ s, page, errors } = ui);
  pool = createPool(s.databaseUrl, 2);
});
afterAll(async () => {
  await pool?.end();
  await ui?.close();
});

// Runs until the test writes `release` into the run's workspace.
const HELD = `name: held
steps:
  - id: wait
    run: while [ ! -f release ]; do sleep 0.1; done
`;
const quick = (name: string) => `name: ${name}\nsteps:\n  - id: a\n    run: echo ${name}\n`;
const row = (id: string) => page.locator(`tr[data-run="${id}"]`);

describe("web UI: live lists", () => {
  it("a run started through the API appears in the open runs list and turns succeeded, without a reload", async () => {
    await page.goto(`${s.url}/runs`);
    await page.getByRole("heading", { name: "Runs", level: 1 }).waitFor();
    // Wiped by any reload or navigation of the document.
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    const run = await s.api("POST", "/runs", { workflow: HELD });
    expect(run.status).toBe(201);
    await row(run.body.id).getByText("running").waitFor();
    expect(await row(run.body.id).locator("td").nth(1).textContent()).toBe("held");
    await fs.writeFile(path.join(s.dataDir, "runner", "workspaces", run.body.id, "release"), "");
    await row(run.body.id).getByText("succeeded").waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "runs-live");
    expect(errors).toEqual([]);
  });

  it("filters in the URL are sent to the server: another workflow's run is absent, a new matching run appears", async () => {
    const alpha = await runToEnd(s, quick("alpha-one"));
    const beta = await runToEnd(s, quick("beta"));
    const asked = page.waitForRequest((r) => r.url().includes("/api/v1/runs?") && new URL(r.url()).searchParams.get("workflow") === "alpha*");
    await page.goto(`${s.url}/runs?workflow=alpha*&status=succeeded`);
    expect(new URL((await asked).url()).searchParams.get("status")).toBe("succeeded");
    await row(alpha.id).waitFor();
    expect(await row(beta.id).count()).toBe(0);
    expect(await page.getByRole("searchbox").inputValue()).toBe("alpha*");
    const later = await runToEnd(s, quick("alpha-two"));
    await row(later.id).getByText("succeeded").waitFor();
    const other = await runToEnd(s, quick("gamma"));
    await page.reload();
    await row(later.id).waitFor();
    expect(await row(other.id).count()).toBe(0);
    expect(await page.locator("tr[data-run]").count()).toBe(2);
    expect(errors).toEqual([]);
  });

  it("Older runs reads the next page from the server's nextCursor", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 51; i++) {
      const r = await s.api("POST", "/runs", { workflow: quick("many") });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    await page.goto(`${s.url}/runs?workflow=many`);
    await row(ids[1]!).waitFor();
    expect(await page.locator("tr[data-run]").count()).toBe(50);
    expect(await row(ids[0]!).count()).toBe(0);
    await page.getByRole("button", { name: "Older runs" }).click();
    await row(ids[0]!).waitFor();
    expect(await page.locator("tr[data-run]").count()).toBe(51);
    await page.getByRole("button", { name: "Older runs" }).waitFor({ state: "detached" });
  });

  it("after the socket reconnects the list is read again, so a run whose frames were lost meanwhile shows up", async () => {
    // A page of the same signed-in context whose events socket goes through the test: it can lose frames and drop.
    const p = await page.context().newPage();
    let losing = false;
    const lost: string[] = [];
    const routes: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
    let synced = 0;
    await p.routeWebSocket(/\/api\/v1\/ws$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((m) => {
        const frame = JSON.parse(String(m)) as { type: string; operation?: { id: string } };
        if (frame.type === "subscribed_operations") synced++;
        if (losing && frame.type === "operation") return void lost.push(frame.operation!.id);
        ws.send(m);
      });
      routes.push({ page: ws, server });
    });
    await p.goto(`${s.url}/runs`);
    await p.getByRole("heading", { name: "Runs", level: 1 }).waitFor();
    await waitFor(async () => synced === 1, 15_000, "the feed");
    // The page reads the list again once the feed is live: that read must be over before the run exists, or it
    // would show the run and the lost frames would prove nothing.
    await p.waitForTimeout(1000);
    losing = true;
    const missed = await runToEnd(s, quick("missed"));
    await waitFor(async () => lost.filter((id) => id === missed.id).length >= 2, 15_000, "the run's frames lost");
    expect(await p.locator(`tr[data-run="${missed.id}"]`).count()).toBe(0);
    losing = false;
    const dropped = routes.at(-1)!;
    await dropped.server.close();
    await dropped.page.close({ code: 1006 });
    await waitFor(async () => synced === 2, 15_000, "the feed after the reconnect");
    await p.locator(`tr[data-run="${missed.id}"]`).getByText("succeeded").waitFor();
    await p.close();
  });

  it("the usage page draws a series per model, and per project when switched", async () => {
    const run = await s.api("GET", "/runs?limit=1");
    const { rows } = await pool.query<{ workspace_id: string }>("select workspace_id from operations where id = $1", [run.body.runs[0].id]);
    const workspaceId = rows[0]!.workspace_id;
    const calls = [
      { provider: "openai", model: "gpt-4.1", projectId: "prj_shop", costUsd: 0.4 },
      { provider: "anthropic", model: "claude-sonnet-4-5", projectId: "prj_blog", costUsd: 1.2 },
      { provider: "anthropic", model: "claude-sonnet-4-5", projectId: "prj_shop", costUsd: 0.3 },
    ];
    for (const c of calls) await recordUsage(pool, { ...c, inputTokens: 1000, outputTokens: 100, latencyMs: 5, workspaceId });
    await page.getByRole("link", { name: "Usage" }).click();
    const legend = page.getByRole("list", { name: /legend/ });
    const series = async () => legend.locator("[data-series]").evaluateAll((els) => els.map((e) => e.getAttribute("data-series")));
    await waitFor(async () => (await series()).length === 2, 15_000, "two model series");
    expect(await series()).toEqual(["anthropic:claude-sonnet-4-5", "openai:gpt-4.1"]);
    expect(await legend.locator('[data-series="anthropic:claude-sonnet-4-5"]').textContent()).toContain("$1.5000");
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "usage-series");
    await page.getByLabel("Group by").selectOption("project");
    await waitFor(async () => JSON.stringify(await series()) === JSON.stringify(["prj_blog", "prj_shop"]), 15_000, "two project series");
    // The view is in the URL: a reload (or the link, shared) shows the same.
    expect(new URL(page.url()).searchParams.get("by")).toBe("project");
    await page.reload();
    await waitFor(async () => JSON.stringify(await series()) === JSON.stringify(["prj_blog", "prj_shop"]), 15_000, "the project series after a reload");
    await page.getByLabel("Range").selectOption("hour");
    // The last 24 hours from the start of the hour that holds their first instant: 24 buckets, or 25 between two hours.
    await waitFor(async () => [24, 25].includes(await page.locator("table.sr-only tbody tr").count()), 15_000, "the hour buckets");
    expect(errors).toEqual([]);
  });
});
