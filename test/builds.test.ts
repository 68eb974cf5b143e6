// Builds end to end on the recorded cassette (cassettes/build-demo.json, src/builds/demo.ts): a project
// from the static template, a real runner and sandbox, the preview check in Chromium, the commit on the
// project's bare repository and the published preview, served by the preview host.
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { SCENARIOS } from "../src/builds/demo.ts";
import { fetchPreview } from "./helpers/previews.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./helpers/webhook-receiver.ts";
import { operationEvents, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
let receiver: WebhookReceiver;
/** The three scripted builds, started together on projects of their own (they run side by side on the runner). */
let started: Record<"bakery" | "greeter" | "unchanged", Promise<{ project: { id: string; repo: string; head: string }; build: any }>>;

beforeAll(async () => {
  s = await startTestShipyard({ env: { SHIPYARD_PREVIEW_PORT: "0", SHIPYARD_ALLOW_PRIVATE_URLS: "true", SHIPYARD_ALLOWED_HTTP_HOSTS: "127.0.0.1" } });
  receiver = await startWebhookReceiver();
  const hook = await s.api("POST", "/webhooks", { url: receiver.url, events: ["build.started", "build.plan_generated", "build.task_started", "build.task_completed", "build.deploy_started", "build.completed", "build.failed"] });
  expect(hook.status, JSON.stringify(hook.body)).toBe(201);
  receiver.secret = hook.body.secret;
  const run = async (name: string, prompt: string, watch?: (buildId: string) => void) => {
    const project = await newProject(name);
    const head = git(project.repo, "rev-parse", "main");
    return { project: { ...project, head }, build: await buildToEnd(project.id, prompt, watch) };
  };
  started = {
    bakery: run("bakery", bakery.prompt, (id) => (followedOverWs = followWithReconnect(id))),
    greeter: run("greeter", greeter.prompt),
    unchanged: run("unchanged", review.prompt),
  };
  // A failure is reported by the test that awaits it.
  for (const p of Object.values(started)) p.catch(() => undefined);
});
afterAll(async () => {
  await s?.stop();
  await receiver?.close();
});

const MODEL = "replay:build-demo";
const [bakery, greeter, review] = SCENARIOS as [(typeof SCENARIOS)[number], (typeof SCENARIOS)[number], (typeof SCENARIOS)[number]];

/** A project from the static template, its first deploy done. */
async function newProject(name: string): Promise<{ id: string; repo: string }> {
  const created = await s.api("POST", "/projects", { name, template: "static", defaultModel: MODEL });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await waitFor(async () => (await s.api("GET", `/projects/${created.body.id}/previews`)).body.environments?.staging?.version === 1, 60_000, "the first deploy");
  return { id: created.body.id, repo: created.body.repo };
}

async function buildToEnd(projectId: string, prompt: string, watch?: (buildId: string) => void): Promise<any> {
  const res = await s.api("POST", `/projects/${projectId}/builds`, { prompt });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body.operationId).toBe(res.body.id);
  watch?.(res.body.id);
  return waitFor(
    async () => {
      const b = await s.api("GET", `/builds/${res.body.id}`);
      return ["succeeded", "failed", "cancelled"].includes(b.body.status) ? b.body : null;
    },
    180_000,
    `build ${res.body.id}`,
  );
}

let followedOverWs: Promise<number[]> | undefined;

/** Follow a build over the WebSocket from its start; drop the socket after 5 events and subscribe again from the last seq seen. */
function followWithReconnect(buildId: string): Promise<number[]> {
  const seqs: number[] = [];
  const connect = (since: number, dropAfter: number | null) =>
    new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(`${s.url.replace("http", "ws")}/api/v1/ws`, { headers: { authorization: `Bearer ${s.adminToken}` } });
      socket.on("open", () => socket.send(JSON.stringify({ type: "subscribe", operationId: buildId, since })));
      socket.on("error", reject);
      socket.on("message", (data) => {
        const frame = JSON.parse(String(data));
        if (frame.type !== "event") return;
        seqs.push(frame.event.seq);
        if (frame.event.type === "complete" || (dropAfter !== null && seqs.length >= dropAfter)) {
          socket.terminate();
          resolve();
        }
      });
    });
  return connect(0, 5).then(() => (seqs.at(-1) === undefined ? [] : seqs)).then(() => connect(seqs.at(-1)!, null)).then(() => seqs);
}

/** GET a preview URL (its host name resolves to loopback only in browsers). */
async function preview(url: string): Promise<{ status: number; text: string }> {
  const res = await fetchPreview(url);
  return { status: res.status, text: await res.text() };
}

const git = (repo: string, ...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();
const phases = (events: any[]) => events.filter((e) => e.type === "phase").map((e) => `${e.payload.phase}:${e.payload.status}`);

describe("builds", { timeout: 180_000 }, () => {
  it("turns a prompt into a planned, implemented, checked, committed and published preview", async () => {
    const { project, build } = await started.bakery;
    const before = project.head;
    expect(build.status, build.error).toBe("succeeded");
    expect(build.tasks.map((t: { title: string }) => t.title)).toEqual(bakery.tasks.map((t) => t.title));
    expect(build.previewVersion).toBe(2);

    const events = await operationEvents(s, build.id);
    expect(phases(events)).toEqual(["plan:in_progress", "plan:complete", "implement:in_progress", "implement:complete", "test:in_progress", "test:complete", "deploy:in_progress", "deploy:complete"]);
    expect(events.find((e) => e.type === "plan").payload.tasks).toHaveLength(3);
    const taskEvents = events.filter((e) => e.type === "task_started" || e.type === "task_completed").map((e) => `${e.type}:${e.payload.index}`);
    expect(taskEvents).toEqual(["task_started:1", "task_completed:1", "task_started:2", "task_completed:2", "task_started:3", "task_completed:3"]);
    const complete = events.at(-1);
    expect(complete.type).toBe("complete");
    expect(complete.payload).toMatchObject({ status: "succeeded", previewUrl: build.previewUrl, version: 2, commit: build.commit });

    // One commit on the default branch, pushed, with the request as its message.
    expect(git(project.repo, "rev-parse", "main")).toBe(build.commit);
    expect(git(project.repo, "rev-list", "--count", `${before}..main`)).toBe("1");
    expect(git(project.repo, "log", "-1", "--format=%s", "main")).toBe(bakery.prompt.slice(0, 69) + "...");
    expect(git(project.repo, "show", "main:site/index.html")).toContain("Crumb &amp; Co.");

    // The stable URL shows the new version; the screenshot of the check is served.
    const page = await preview(build.previewUrl);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Crumb &amp; Co.");
    // A WebSocket follower that dropped and came back mid-build got every event once, in order.
    expect(await followedOverWs).toEqual(events.map((e) => e.seq));
    // Every build.* webhook once, signed (verified on the receiving side with the standardwebhooks package).
    const hooks = await waitFor(async () => {
      const mine = receiver.received.filter((r) => r.verified?.data.buildId === build.id);
      return mine.some((r) => r.verified?.type === "build.completed") ? mine : null;
    }, 30_000, "the build's webhooks");
    expect(hooks.every((r) => r.verified !== null)).toBe(true);
    expect(hooks.map((r) => r.verified!.type).sort()).toEqual(
      ["build.started", "build.plan_generated", ...Array(3).fill("build.task_started"), ...Array(3).fill("build.task_completed"), "build.deploy_started", "build.completed"].sort(),
    );
    expect(new Set(hooks.map((r) => r.id)).size).toBe(hooks.length);
    expect(hooks.find((r) => r.verified!.type === "build.completed")!.verified!.data).toMatchObject({ previewUrl: build.previewUrl, version: 2, commit: build.commit });
    expect((hooks.find((r) => r.verified!.type === "build.plan_generated")!.verified!.data.tasks as unknown[]).length).toBe(3);
    const shot = await fetch(`${s.url}/api/v1/builds/${build.id}/screenshot`, { headers: { authorization: `Bearer ${s.adminToken}` } });
    expect(shot.status).toBe(200);
    expect(Buffer.from(await shot.arrayBuffer()).subarray(1, 4).toString()).toBe("PNG");
  });

  it("sends a failing preview check back to the agent, which fixes it on the second try", async () => {
    const { project, build } = await started.greeter;
    expect(build.status, build.error).toBe("succeeded");
    expect(build.fixAttempts).toBe(1);
    const events = await operationEvents(s, build.id);
    const failed = events.find((e) => e.type === "phase" && e.payload.phase === "test" && e.payload.status === "failed");
    expect(failed.payload.attempt).toBe(1);
    expect(failed.payload.error).toMatch(/Cannot read properties of null|null/);
    // The fix ran as its own agent stage, then the test phase again, which passed.
    expect(events.some((e) => e.type === "step" && e.payload.stepId === "fix-1")).toBe(true);
    expect(phases(events).filter((p) => p.startsWith("test:"))).toEqual(["test:in_progress", "test:failed", "test:in_progress", "test:complete"]);
    expect(git(project.repo, "show", "main:site/app.js")).toContain('getElementById("name")');
    expect((await preview(build.previewUrl)).text).toContain("Who are you?");
  });

  it("fails a build whose implement phase changes no file, and publishes and commits nothing", async () => {
    const { project, build } = await started.unchanged;
    const head = project.head;
    expect(build.status).toBe("failed");
    expect(build.error).toContain("changed no file");
    expect(build.previewVersion).toBeNull();
    expect(git(project.repo, "rev-parse", "main")).toBe(head);
    const previews = (await s.api("GET", `/projects/${project.id}/previews`)).body;
    expect(previews.versions).toHaveLength(1);
    const events = await operationEvents(s, build.id);
    expect(phases(events).at(-1)).toBe("implement:failed");
    // `complete` ends the log, after the workspace's cleanup.
    expect(events.at(-1)).toMatchObject({ type: "complete", payload: { status: "failed" } });
    const failedHook = await waitFor(async () => receiver.received.find((r) => r.verified?.type === "build.failed" && r.verified.data.buildId === build.id), 30_000, "build.failed");
    expect(failedHook.verified!.data).toMatchObject({ phase: "implement", status: "failed" });
  });

  it("refuses bad requests before anything starts", async () => {
    const project = await newProject("refusals");
    expect((await s.api("POST", `/projects/${project.id}/builds`, { prompt: "  " })).status).toBe(400);
    expect((await s.api("POST", `/projects/${project.id}/builds`, { prompt: "x", extra: 1 })).status).toBe(400);
    expect((await s.api("POST", "/projects/prj_nope/builds", { prompt: "x" })).status).toBe(404);
    const bare = path.join(s.dataDir, "plain.git");
    await fs.mkdir(bare);
    execFileSync("git", ["init", "--bare", "-q", bare]);
    const plain = await s.api("POST", "/projects", { name: "plain", repo: bare, defaultBranch: "main" });
    expect(plain.status).toBe(201);
    const refused = await s.api("POST", `/projects/${plain.body.id}/builds`, { prompt: "x" });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("no_template");
    const list = (await s.api("GET", `/projects/${project.id}/builds`)).body.builds;
    expect(list.every((b: { prompt: string | null }) => b.prompt === null)).toBe(true);
  });
});
