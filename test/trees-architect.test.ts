// The Architect's API trees end to end on a real Shipyard, offline on their recorded conversations: seed 004's
// design-from-reference (a reference page served here on loopback, let through by the operator's URL rules the
// way the blueprint tests do) and the Aeries demo (social-world), whose last step runs the published world's
// own scripts frame by frame and fails unless the agents move and speech bubbles appear.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFERENCE_PAGE } from "../src/blueprints/demo.ts";
import { operationEvents, runToEnd, startTestShipyard, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
let pages: http.Server;
let pageBase: string;
beforeAll(async () => {
  pages = http.createServer((req, res) => (req.url === "/pricing.html" ? res.writeHead(200, { "content-type": "text/html" }).end(REFERENCE_PAGE) : res.writeHead(404).end()));
  await new Promise<void>((r) => pages.listen(0, "127.0.0.1", r));
  pageBase = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  s = await startTestShipyard({ env: { SHIPYARD_PREVIEW_PORT: "0", SHIPYARD_ALLOW_PRIVATE_URLS: "true", SHIPYARD_ALLOWED_HTTP_HOSTS: "127.0.0.1" } });
});
afterAll(async () => {
  await s?.stop();
  pages?.close();
});

const stepsOf = (run: { steps: { id: string }[] }) => Object.fromEntries(run.steps.map((st) => [st.id, st])) as Record<string, any>;
const git = (repo: string, ...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();

// Two projects of their own: the trees run side by side.
describe.concurrent("the Architect's trees", { timeout: 600_000 }, () => {
  it("design-from-reference: the reference page's screenshot fills the design system, the blueprint gets ready, builds and is published", async () => {
    const source = readFileSync("examples/trees/design-from-reference.yaml", "utf8");
    const run = await runToEnd(s, source, { reference_url: `${pageBase}/pricing.html` }, 540_000);
    expect(run.status, JSON.stringify(run.steps, null, 1)).toBe("succeeded");
    const steps = stepsOf(run);
    expect(steps["provide-reference"].outputs).toMatchObject({ design_system: "partial", reference: `${pageBase}/pricing.html`, reply: expect.stringContaining("I see a dark pricing page") });
    expect(run.outputs).toMatchObject({ design_system: "partial", ready: "true" });
    expect(steps["confirm-plan"].outputs.accent).toBe("#2563eb");
    const bp = (await s.api("GET", `/blueprints/${run.outputs.blueprint_id}`)).body;
    expect(bp).toMatchObject({ status: "built", lastBuildId: run.outputs.build_id, readyToBuild: true });
    expect(bp.references.items).toHaveLength(1);
    const project = (await s.api("GET", `/projects/${run.outputs.project_id}`)).body;
    expect(git(project.repo, "show", "main:site/style.css")).toContain("#2563eb");
    expect(git(project.repo, "show", "--name-only", "--format=", "main").split("\n")).toContain("docs/specs/pricing-page.md");
    expect(steps.page.outputs.body).toContain("Business");
  });

  it("social-world: three turns make the plan ready, the build publishes a world whose agents move and talk in speech bubbles", async () => {
    const source = readFileSync("examples/trees/social-world.yaml", "utf8");
    const run = await runToEnd(s, source, {}, 540_000);
    expect(run.status, JSON.stringify(run.steps, null, 1)).toBe("succeeded");
    const steps = stepsOf(run);
    expect(steps.agents.outputs.reply).toContain("Proximity-based, or interest matching?");
    expect(steps.proximity.outputs.reply).toContain("visible to all users");
    expect(run.outputs.ready).toBe("true");
    const build = (await s.api("GET", `/builds/${run.outputs.build_id}`)).body;
    expect(build).toMatchObject({ status: "succeeded", blueprintId: run.outputs.blueprint_id, previewUrl: run.outputs.preview_url });
    expect(steps.talk.outputs.body).toContain("lineFor");
    const said = (await operationEvents(s, run.id)).filter((e) => e.type === "log" && e.payload.stepId === "moving").map((e) => e.payload.line).join("\n");
    expect(said).toMatch(/\d of \d agents moved in 1800 frames; [1-9]\d* frames show speech bubbles/);
    // The bubbles say the build's lines (site/conversations.js), not the template's "Hello!".
    expect(said).toMatch(/speech bubbles: (Nice weather today!|Have you seen the lake\?|Where are you heading\?|I like this path\.|Good to see you!|Let's walk together\.)/);
  });
});
