// A blueprint built end to end on its recorded conversation (cassettes/architect-social-world.json): three
// Architect turns over the API, then the build (a real runner and sandbox, the world template's checks, the
// preview check in Chromium): phases spec → design → implement → test → deploy, the spec committed at
// docs/specs/social-world.md with the implementation, the blueprint built at that commit, webhooks naming it;
// then a later turn ("Add a weather system") and a second build on top of the first one's commit.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SOCIAL_WORLD, scenarioModel } from "../src/blueprints/demo.ts";
import { renderSpec } from "../src/blueprints/spec.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./helpers/webhook-receiver.ts";
import { operationEvents, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
let receiver: WebhookReceiver;

beforeAll(async () => {
  s = await startTestShipyard({ env: { SHIPYARD_PREVIEW_PORT: "0", SHIPYARD_ALLOW_PRIVATE_URLS: "true", SHIPYARD_ALLOWED_HTTP_HOSTS: "127.0.0.1" } });
  receiver = await startWebhookReceiver();
  const hook = await s.api("POST", "/webhooks", { url: receiver.url, events: ["build.started", "build.completed", "build.failed"] });
  expect(hook.status, JSON.stringify(hook.body)).toBe(201);
  receiver.secret = hook.body.secret;
});
afterAll(async () => {
  await s?.stop();
  await receiver?.close();
});

const git = (repo: string, ...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();

describe("a blueprint build", { timeout: 240_000 }, () => {
  it("commits the rendered spec with the implementation and leaves the blueprint built at that commit", async () => {
    const project = await s.api("POST", "/projects", { name: "aeries", template: SOCIAL_WORLD.template, defaultModel: scenarioModel(SOCIAL_WORLD) });
    expect(project.status, JSON.stringify(project.body)).toBe(201);
    await waitFor(async () => (await s.api("GET", `/projects/${project.body.id}/previews`)).body.environments?.staging?.version === 1, 90_000, "the first deploy");
    const base = git(project.body.repo, "rev-parse", "main");
    const bp = (await s.api("POST", `/projects/${project.body.id}/blueprints`, { featureName: SOCIAL_WORLD.featureName })).body;
    for (const turn of SOCIAL_WORLD.turns) expect((await s.api("POST", `/blueprints/${bp.id}/chat`, { message: turn.message })).status).toBe(200);

    const started = await s.api("POST", `/blueprints/${bp.id}/build`);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const build = await waitFor(async () => {
      const b = (await s.api("GET", `/builds/${started.body.buildId}`)).body;
      return ["succeeded", "failed", "cancelled"].includes(b.status) ? b : null;
    }, 180_000, "the blueprint's build");
    expect(build.status, build.error).toBe("succeeded");
    expect(build.blueprintId).toBe(bp.id);

    const events = await operationEvents(s, build.id);
    const starts = events.filter((e) => e.type === "phase" && e.payload.status === "in_progress").map((e) => e.payload.phase);
    expect(starts).toEqual(["spec", "design", "implement", "test", "deploy"]);

    // The spec is in the repository, in the build's one commit, beside the agent's edits.
    const shown = (await s.api("GET", `/blueprints/${bp.id}`)).body;
    expect(git(project.body.repo, "rev-list", "--count", `${base}..main`)).toBe("1");
    expect(git(project.body.repo, "rev-parse", "main")).toBe(build.commit);
    expect(git(project.body.repo, "show", `main:${shown.specPath}`) + "\n").toBe(renderSpec(shown.featureName, shown));
    expect(git(project.body.repo, "show", "--name-only", "--format=%s", "main").split("\n")).toEqual(["Social World: built from its blueprint", "", "docs/specs/social-world.md", "site/conversations.js", "site/main.js"]);
    expect(shown).toMatchObject({ status: "built", builtCommit: build.commit, lastBuildId: build.id, lastError: null, readyToBuild: true });

    const hooks = await waitFor(async () => {
      const mine = receiver.received.filter((r) => r.verified?.data.buildId === build.id);
      return mine.some((r) => r.verified?.type === "build.completed") ? mine : null;
    }, 60_000, "the build's webhooks");
    for (const h of hooks) expect(h.verified!.data).toMatchObject({ blueprintId: bp.id, specPath: "docs/specs/social-world.md" });

    // A later turn moves the plan past what was built; the next build starts from the last built commit.
    const weather = SOCIAL_WORLD.followUp!.turns[0]!;
    const turned = await s.api("POST", `/blueprints/${bp.id}/chat`, { message: weather.message });
    expect(turned.body.blueprint).toMatchObject({ status: "draft", readyToBuild: true, builtCommit: build.commit });
    const again = await s.api("POST", `/blueprints/${bp.id}/build`);
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    const second = await waitFor(async () => {
      const b = (await s.api("GET", `/builds/${again.body.buildId}`)).body;
      return ["succeeded", "failed", "cancelled"].includes(b.status) ? b : null;
    }, 180_000, "the second build");
    expect(second.status, second.error).toBe("succeeded");
    expect(git(project.body.repo, "rev-parse", "main~1")).toBe(build.commit);
    expect(git(project.body.repo, "show", "--name-only", "--format=%s", "main").split("\n")).toEqual(["Social World: built from its blueprint", "", "docs/specs/social-world.md", "site/index.html", "site/weather.js"]);
    expect(git(project.body.repo, "show", "main:site/conversations.js")).toContain("lineFor");
    expect(git(project.body.repo, "show", "main:docs/specs/social-world.md")).toContain("### Weather");
    expect((await s.api("GET", `/blueprints/${bp.id}`)).body).toMatchObject({ status: "built", builtCommit: second.commit, lastBuildId: second.id });
  });
});
