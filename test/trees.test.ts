// API trees end to end on a real Shipyard: http steps calling its own API with the run's short-lived token,
// wait steps on operations that succeed, fail, outlast the timeout or are still running when the run is
// cancelled, and the shipped example tree (a template project, a build on the demo cassette, its preview).
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operationEvents, runToEnd, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
beforeAll(async () => {
  s = await startTestShipyard({ env: { SHIPYARD_PREVIEW_PORT: "0" } });
});
afterAll(async () => {
  await s?.stop();
});

const steps = (run: { steps: { id: string }[] }) => Object.fromEntries(run.steps.map((st) => [st.id, st])) as Record<string, any>;

describe("the example tree", () => {
  it("template-to-preview: creates a project, builds it on the demo cassette, waits and checks the published page", async () => {
    const source = readFileSync("examples/trees/template-to-preview.yaml", "utf8");
    const run = await runToEnd(s, source, { project: "tree-bakery" }, 240_000);
    const byId = steps(run);
    expect(run.status, JSON.stringify(run.steps, null, 1)).toBe("succeeded");
    const project = await s.api("GET", `/projects/${run.outputs.project_id}`);
    expect(project.body).toMatchObject({ name: "tree-bakery" });
    const build = await s.api("GET", `/builds/${run.outputs.build_id}`);
    expect(build.body).toMatchObject({ status: "succeeded", projectId: run.outputs.project_id });
    expect(byId.built.outputs).toMatchObject({ status: "succeeded", preview_url: build.body.previewUrl });
    expect(byId.page.outputs.status).toBe("200");
    expect(byId.page.outputs.body).toContain("Slow-proofed bread");
    // The token never reaches the run's record.
    const events = JSON.stringify(await operationEvents(s, run.id));
    expect(events).not.toMatch(/sya_|Bearer/);
  }, 300_000);
});
