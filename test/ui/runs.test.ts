// The runs pages in a real Chromium against a real Shipyard: sign in with the one-time link, run a workflow
// from the editor with its inputs form, watch its log arrive while it runs, cancel it, re-run it.
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openUi, screenshot, seriousViolations, signIn, type UiSession } from "../helpers/browser.ts";
import { waitFor, type TestShipyard } from "../helpers/shipyard.ts";

let ui: UiSession;
let s: TestShipyard;
let page: Page;
let errors: string[];

beforeAll(async () => {
  ui = await openUi({ signedIn: false });
  ({ s, page, errors } = ui);
});
afterAll(async () => {
  await ui?.close();
});

// Waits for a file the test writes into the run's workspace: the step stays running until the test says so.
const WORKFLOW = `name: ui-live
inputs:
  who: { type: string, default: world }
steps:
  - id: talk
    run: |
      echo "hello \${{ inputs.who }}"
      while [ ! -f release ]; do sleep 0.1; done
      echo "released"
`;

const workspaceOf = (runId: string) => path.join(s.dataDir, "runner", "workspaces", runId);
const runIdOf = (p: Page) => new URL(p.url()).pathname.split("/").pop()!;

describe("web UI: runs", () => {
  it("the one-time link signs the browser in with an HttpOnly, SameSite=Strict cookie, and works once", async () => {
    const link = await s.signInUrl();
    await signIn(page, link);
    expect(new URL(page.url()).pathname).toBe("/runs");
    const cookie = (await page.context().cookies()).find((c) => c.name === "shipyard_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    expect(await page.evaluate(() => document.cookie)).not.toContain("shipyard_session");
    // Used up: the same code again opens nothing.
    const again = await fetch(new URL("/api/v1/session", s.url), { method: "POST", headers: { "content-type": "application/json", origin: s.url }, body: JSON.stringify({ code: new URL(link).searchParams.get("code") }) });
    expect(again.status).toBe(401);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "runs");
  });

  it("the events socket takes the session cookie from Shipyard's own origin only", async () => {
    const cookie = `shipyard_session=${(await page.context().cookies()).find((c) => c.name === "shipyard_session")!.value}`;
    const handshake = (origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${s.url.replace("http", "ws")}/api/v1/ws`, { headers: { cookie, origin } });
        ws.on("open", () => {
          ws.close();
          resolve(101);
        });
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("error", () => undefined);
      });
    expect(await handshake(s.url)).toBe(101);
    expect(await handshake("http://evil.example")).toBe(403);
  });

  it("runs a workflow from the editor with its inputs form; its log arrives live; cancel, then re-run", async () => {
    await page.getByRole("link", { name: "Run workflow" }).click();
    const editor = page.locator(".cm-content");
    await editor.fill(WORKFLOW);
    await page.getByText("Valid: ui-live").waitFor();
    await page.getByLabel("who").fill("browser");
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "run-workflow");
    await page.getByRole("button", { name: "Start run" }).click();
    await page.getByRole("heading", { name: /ui-live/ }).waitFor();
    const first = runIdOf(page);
    // The line is on the page while the step still runs: it came live, not from a reload.
    await page.getByRole("log", { name: "Logs of all steps" }).getByText("hello browser").waitFor();
    expect((await s.api("GET", `/runs/${first}`)).body.status).toBe("running");
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "run");

    await page.getByRole("button", { name: "Cancel" }).click();
    await page.locator("h1 .status-cancelled").waitFor();
    expect((await s.api("GET", `/runs/${first}`)).body.status).toBe("cancelled");

    await page.getByRole("button", { name: "Re-run" }).click();
    await waitFor(async () => runIdOf(page) !== first);
    const second = runIdOf(page);
    expect((await s.api("GET", `/runs/${second}`)).body).toMatchObject({ rerunOf: first, inputs: { who: "browser" } });
    await page.getByRole("log", { name: "Logs of all steps" }).getByText("hello browser").waitFor();
    await waitFor(async () => fs.writeFile(path.join(workspaceOf(second), "release"), "").then(() => true, () => false));
    await page.getByRole("log", { name: "Logs of all steps" }).getByText("released").waitFor();
    await page.locator("h1 .status-succeeded").waitFor();
    expect(errors).toEqual([]);
  });
});
