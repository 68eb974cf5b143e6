// Publishing end to end: a project from the static template (its first version deployed to staging when it is
// created, by a real runner), then POST /projects/{id}/publish through the engine: the preview check in Chromium
// against the version's own URL, then production promoted, served by the preview host.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import os from "node:os";
import { runCli } from "./helpers/cli.ts";
import { fetchPreview } from "./helpers/previews.ts";
import { operationEvents, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
beforeAll(async () => {
  s = await startTestShipyard({ env: { SHIPYARD_PREVIEW_PORT: "0" } });
});
afterAll(async () => {
  await s?.stop();
});

describe("publish", { timeout: 180_000 }, () => {
  it("publishes staging to production after the check passes: production serves the version", async () => {
    const created = await s.api("POST", "/projects", { name: "launch", template: "static" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const previews = await waitFor(async () => {
      const p = await s.api("GET", `/projects/${id}/previews`);
      return p.body.environments?.staging?.version === 1 ? p.body : null;
    }, 90_000, "the first deploy");
    expect(previews.environments.production.version).toBeNull();
    const staging = await (await fetchPreview(previews.environments.staging.url)).text();

    const res = await s.api("POST", `/projects/${id}/publish`, { fromEnvironment: "staging", toEnvironment: "production" });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.operationId).toBe(res.body.id);
    const done = await waitFor(async () => {
      const p = await s.api("GET", `/publishes/${res.body.id}`);
      return ["succeeded", "failed", "cancelled"].includes(p.body.status) ? p.body : null;
    }, 120_000, `publish ${res.body.id}`);
    expect(done.status, done.error).toBe("succeeded");
    expect(done.url).toBe(previews.environments.production.url);

    const after = await s.api("GET", `/projects/${id}/previews`);
    expect(after.body.environments.production.version).toBe(1);
    const live = await fetchPreview(done.url);
    expect(live.status).toBe(200);
    expect(await live.text()).toBe(staging);

    const events = await operationEvents(s, res.body.id);
    expect(events.filter((e) => e.type === "phase").map((e) => `${e.payload.phase}:${e.payload.status}`)).toEqual([
      "validate:in_progress", "validate:complete", "deploy:in_progress", "deploy:complete", "verify:in_progress", "verify:complete", "promote:in_progress", "promote:complete",
    ]);
    expect(events.at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded", previewUrl: done.url, version: 1 } });
    const shot = await s.api("GET", `/publishes/${res.body.id}/screenshot`);
    expect(shot.status).toBe(200);
    expect((await s.api("GET", `/projects/${id}/publishes`)).body.publishes.map((p: { id: string }) => p.id)).toEqual([res.body.id]);

    // The CLI publishes by project name and follows live to the production URL (exit 0).
    const env = { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), SHIPYARD_URL: s.url, SHIPYARD_TOKEN: s.adminToken, NO_COLOR: "1" };
    const cli = await runCli(["publish", "launch", "--from", "staging", "--to", "production"], { env, guardMs: 120_000 });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/▶ publish pub_\S+ of launch v1: staging → production/);
    expect(cli.stdout).toContain("✓ verify");
    expect(cli.stdout).toContain("✓ publish succeeded");
    expect(cli.stdout).toContain(done.url);
    const list = await runCli(["publishes", "launch", "--json"], { env });
    expect(JSON.parse(list.stdout)).toHaveLength(2);
  });
});
