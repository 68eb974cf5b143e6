// kill -9 of the whole of Shipyard (server, runner, PostgreSQL) in the middle of a build's implement phase, and
// again as its deploy phase starts: each time the next start resumes the build, which ends with one commit, one
// new preview version, every event once and one webhook delivery per event.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCENARIOS } from "../src/builds/demo.ts";
import { crashableUp, type CrashableUp } from "./helpers/process.ts";
import { waitFor } from "./helpers/shipyard.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./helpers/webhook-receiver.ts";

const ENV = { SHIPYARD_PREVIEW_PORT: "0", SHIPYARD_ALLOW_PRIVATE_URLS: "true", SHIPYARD_ALLOWED_HTTP_HOSTS: "127.0.0.1", SHIPYARD_WEBHOOK_RETRY_SCHEDULE: "0,1,1,1" };
const prompt = SCENARIOS[0]!.prompt;

let shipyard: CrashableUp;
let receiver: WebhookReceiver;
const api: CrashableUp["api"] = (method, route, body) => shipyard.api(method, route, body);
const events = (id: string) => shipyard.events(id);
const git = (repo: string, ...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  shipyard = await crashableUp("shipyard-build-crash-", ENV);
  const hook = await api("POST", "/webhooks", { url: receiver.url, events: ["*"] });
  expect(hook.status).toBe(201);
  receiver.secret = hook.body.secret;
});
afterAll(async () => {
  await shipyard?.cleanup();
  await receiver?.close();
});

/** Start a build on a new project (its first deploy done) and kill everything once `when` holds for its events. */
async function crashDuring(name: string, when: (events: any[]) => boolean): Promise<{ buildId: string; repo: string; base: string; projectId: string }> {
  const project = await api("POST", "/projects", { name, template: "static", defaultModel: "replay:build-demo" });
  expect(project.status, JSON.stringify(project.body)).toBe(201);
  await waitFor(async () => (await api("GET", `/projects/${project.body.id}/previews`)).body.environments.staging.version === 1, 90_000, "the first deploy");
  const base = git(project.body.repo, "rev-parse", "main");
  const build = await api("POST", `/projects/${project.body.id}/builds`, { prompt });
  expect(build.status).toBe(202);
  await waitFor(async () => when(await events(build.body.id)), 90_000, `the moment to crash ${name}`);
  await shipyard.kill();
  await shipyard.start();
  return { buildId: build.body.id, repo: project.body.repo, base, projectId: project.body.id };
}

/** The build ended well, once: one commit, one new version, each event and each webhook once. */
async function expectResumedOnce(c: { buildId: string; repo: string; base: string; projectId: string }): Promise<void> {
  const build = await waitFor(async () => {
    const b = (await api("GET", `/builds/${c.buildId}`)).body;
    return ["succeeded", "failed", "cancelled"].includes(b.status) ? b : null;
  }, 150_000, "the resumed build");
  expect(build.status, build.error).toBe("succeeded");
  expect(git(c.repo, "rev-list", "--count", `${c.base}..main`)).toBe("1");
  expect(git(c.repo, "rev-parse", "main")).toBe(build.commit);
  const previews = (await api("GET", `/projects/${c.projectId}/previews`)).body;
  expect(previews.versions.map((v: { version: number }) => v.version).sort()).toEqual([1, 2]);
  expect(previews.environments.staging.version).toBe(2);

  const all = await events(c.buildId);
  expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
  const once = (type: string, index?: number) => all.filter((e) => e.type === type && (index === undefined || e.payload.index === index)).length;
  for (const i of [1, 2, 3]) expect([once("task_started", i), once("task_completed", i)]).toEqual([1, 1]);
  expect(once("plan")).toBe(1);
  expect(once("complete")).toBe(1);

  // One delivery per event: each event's webhook-id is one (a crash mid-request may repeat that same id, never a new one).
  const hooks = await waitFor(async () => {
    const mine = receiver.received.filter((r) => r.verified?.data.buildId === c.buildId);
    return mine.some((r) => r.verified?.type === "build.completed") ? mine : null;
  }, 60_000, "the build's webhooks");
  const idsByEvent = new Map<string, Set<string>>();
  for (const r of hooks) {
    const key = `${r.verified!.type}:${String(r.verified!.data.index ?? "")}`;
    idsByEvent.set(key, (idsByEvent.get(key) ?? new Set()).add(r.id));
  }
  expect([...idsByEvent.keys()].sort()).toEqual(
    ["build.started:", "build.plan_generated:", "build.task_started:1", "build.task_started:2", "build.task_started:3", "build.task_completed:1", "build.task_completed:2", "build.task_completed:3", "build.deploy_started:", "build.completed:"].sort(),
  );
  for (const [key, ids] of idsByEvent) expect(ids.size, key).toBe(1);
}

describe("a build survives kill -9", { timeout: 400_000 }, () => {
  it("mid-implement: the next start runs the phase again on the runner that is there, and lands one commit and one version", async () => {
    const crash = await crashDuring("mid-implement", (e) => e.some((x) => x.type === "task_started" && x.payload.index === 2));
    await expectResumedOnce(crash);
    // The lost runner's phases ran again, from a fresh clone, as a second attempt.
    const again = (await events(crash.buildId)).find((e) => e.type === "status" && e.payload.attempt === 2);
    expect(again?.payload.reason).toContain("runner went away");
  });

  it("as the deploy phase starts: the publish is made once", async () => {
    const crash = await crashDuring("mid-deploy", (e) => e.some((x) => x.type === "phase" && x.payload.phase === "deploy" && x.payload.status === "in_progress"));
    await expectResumedOnce(crash);
  });
});
