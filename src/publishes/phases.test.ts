// The publish sequence run directly (each step a plain call) on a fresh database, with the real preview host,
// the real preview check in Chromium, and a stub `wrangler` for the Cloudflare Pages path.
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, workspace } from "../../test/helpers/core.ts";
import { fetchPreview, previewHost, previewProject, siteDir } from "../../test/helpers/previews.ts";
import { stubWrangler } from "../../test/helpers/wrangler.ts";
import type { Pool } from "../db/pool.ts";
import type { OperationDeps, StartOptions } from "../engine/control.ts";
import type { PreviewHost } from "../previews/host.ts";
import { checkPreview } from "../previews/check.ts";
import { listPreviews, promoteVersion, publishVersion, type PreviewDeps } from "../previews/service.ts";
import { pagesProjectName } from "../previews/targets.ts";
import { setProjectDeployTarget } from "../projects/store.ts";
import { SecretBox } from "../secrets/box.ts";
import { createSecretStore } from "../secrets/store.ts";
import { runPublish, type PublishDeps } from "./phases.ts";
import { getPublish, startPublish } from "./service.ts";

let pool: Pool;
let ws: string;
let host: PreviewHost;
let previews: PreviewDeps;
const started: { name: string; o: StartOptions; args: unknown[] }[] = [];
/** Records the workflow starts; the tests run the sequence themselves. */
const operations = (): OperationDeps => ({
  pool,
  workflows: {
    start: async (name, o, ...args) => void started.push({ name, o, args }),
    send: async () => undefined,
    cancel: async () => undefined,
    status: async () => null,
  },
});
const direct = <T>(_name: string, fn: () => Promise<T>) => fn();

beforeAll(async () => {
  pool = await coreDatabase("publishes");
  ws = await workspace(pool);
  ({ host, deps: previews } = await previewHost(pool));
});
afterAll(async () => {
  await host?.close();
  await pool?.end();
});

const publishDeps = (over: Partial<PublishDeps> = {}): PublishDeps => ({
  pool,
  log: previews.log,
  dataDir: previews.dataDir,
  urls: previews.urls,
  targets: { getSecret: async () => null, env: { PATH: process.env.PATH } },
  check: checkPreview,
  ...over,
});

/** A project whose staging shows a version made of `files`. */
async function stagedProject(files: Record<string, string>, projectId?: string): Promise<{ projectId: string; version: number }> {
  const project = projectId ?? (await previewProject(pool, ws));
  const v = await publishVersion(previews, { workspaceId: ws, projectId: project, dir: await siteDir(files), commit: null, buildId: null });
  await promoteVersion(previews, { workspaceId: ws, projectId: project, version: v.version, environment: "staging" });
  return { projectId: project, version: v.version };
}

type LoggedEvent = { type: string; payload: Record<string, unknown> };
const events = async (id: string) => (await pool.query<LoggedEvent>("select type, payload from events where operation_id = $1 order by seq", [id])).rows;
const phases = (evs: LoggedEvent[]) => evs.filter((e) => e.type === "phase").map((e) => `${String(e.payload.phase)}:${String(e.payload.status)}`);
const production = async (projectId: string) => (await listPreviews(previews, { workspaceId: ws, projectId })).environments.production.version;

describe("publishing staging to production on the built-in host", { timeout: 60_000 }, () => {
  it("verifies the version at its own URL, then promotes production to it", async () => {
    const { projectId, version } = await stagedProject({ "index.html": "<h1>Fresh bread daily</h1>" });
    const publish = await startPublish(operations(), ws, projectId, { fromEnvironment: "staging", toEnvironment: "production" });
    expect(publish).toMatchObject({ status: "pending", version, deployTarget: "builtin", fromEnvironment: "staging", toEnvironment: "production" });
    expect(started.at(-1)).toMatchObject({ name: "shipyard.publish", o: { workflowId: publish.id, partitionKey: projectId }, args: [publish.id] });
    expect(await production(projectId)).toBeNull();

    expect(await runPublish(publishDeps(), direct, publish.id)).toBe("succeeded");
    const done = await getPublish(pool, ws, publish.id);
    const productionUrl = previews.urls.environmentUrl(projectId, "production");
    expect(done).toMatchObject({ status: "succeeded", phase: "promote", url: productionUrl, screenshotUrl: `/api/v1/publishes/${publish.id}/screenshot` });
    expect(await production(projectId)).toBe(version);
    const res = await fetchPreview(productionUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Fresh bread daily");

    const evs = await events(publish.id);
    expect(phases(evs)).toEqual(["validate:in_progress", "validate:complete", "deploy:in_progress", "deploy:complete", "verify:in_progress", "verify:complete", "promote:in_progress", "promote:complete"]);
    expect(evs.find((e) => e.type === "artifact")?.payload).toMatchObject({ name: "verify.png", contentType: "image/png" });
    expect(evs.at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded", error: null, previewUrl: productionUrl, version } });
    expect((await fs.stat(path.join(previews.dataDir, "publishes", publish.id, "verify.png"))).size).toBeGreaterThan(0);
  });

  it("fails when the version does not pass the check, and production keeps showing what it showed", async () => {
    const good = await stagedProject({ "index.html": "<h1>Version one</h1>" });
    await promoteVersion(previews, { workspaceId: ws, projectId: good.projectId, version: good.version, environment: "production" });
    const broken = await stagedProject({ "index.html": '<h1>Version two</h1><script>throw new Error("boom from v2")</script>' }, good.projectId);
    const publish = await startPublish(operations(), ws, good.projectId, { fromEnvironment: "staging", toEnvironment: "production" });
    expect(publish.version).toBe(broken.version);

    expect(await runPublish(publishDeps(), direct, publish.id)).toBe("failed");
    const done = await getPublish(pool, ws, publish.id);
    expect(done).toMatchObject({ status: "failed", phase: "verify", url: null });
    expect(done.error).toContain("boom from v2");
    expect(done.error).toContain("production was not changed");
    expect(await production(good.projectId)).toBe(good.version);
    const res = await fetchPreview(previews.urls.environmentUrl(good.projectId, "production"));
    expect(await res.text()).toContain("Version one");
    const evs = await events(publish.id);
    expect(phases(evs).slice(-2)).toEqual(["verify:in_progress", "verify:failed"]);
    expect(evs.at(-1)).toMatchObject({ type: "complete", payload: { status: "failed", previewUrl: null } });
  });

  it("refuses a publish when staging has no version yet (409), storing nothing", async () => {
    const projectId = await previewProject(pool, ws);
    const before = started.length;
    await expect(startPublish(operations(), ws, projectId, { fromEnvironment: "staging", toEnvironment: "production" })).rejects.toMatchObject({
      status: 409,
      code: "nothing_to_publish",
      message: expect.stringContaining("staging has no version yet: build first"),
    });
    expect(started.length).toBe(before);
    expect((await pool.query("select count(*)::int as n from publishes where project_id = $1", [projectId])).rows[0].n).toBe(0);
  });

  it("moves nothing when it was cancelled before the promote", async () => {
    const { projectId } = await stagedProject({ "index.html": "<h1>hi</h1>" });
    const publish = await startPublish(operations(), ws, projectId, { fromEnvironment: "staging", toEnvironment: "production" });
    // The cancel lands while the check runs (DBOS would stop the workflow at its next step; this sequence runs on).
    const cancelling = publishDeps({ check: async (url, o) => {
      await pool.query("update operations set status = 'cancelled', finished_at = now() where id = $1", [publish.id]);
      return checkPreview(url, o);
    } });
    expect(await runPublish(cancelling, direct, publish.id)).toBe("cancelled");
    expect(await production(projectId)).toBeNull();
  });
});

describe("publishing on Cloudflare Pages", { timeout: 60_000 }, () => {
  it("deploys to the production branch with the production-scoped secret and verifies the URL wrangler printed", async () => {
    const stub = await stubWrangler();
    const secrets = createSecretStore(pool, new SecretBox(randomBytes(32)));
    await secrets.put(ws, "CLOUDFLARE_API_TOKEN", "unscoped-token");
    await secrets.put(ws, "CLOUDFLARE_API_TOKEN", "production-token", "production");
    await secrets.put(ws, "CLOUDFLARE_ACCOUNT_ID", "acct-1");
    const { projectId, version } = await stagedProject({ "index.html": "<h1>On Pages</h1>" });
    await setProjectDeployTarget(pool, ws, projectId, "cloudflare-pages");
    const checked: string[] = [];
    const deps = publishDeps({
      targets: { getSecret: (w, n, env) => secrets.get(w, n, env), env: { PATH: process.env.PATH }, wrangler: stub.bin },
      // pages.dev is not reachable from the tests: the check records the URL it was given and passes.
      check: async (url, o) => (checked.push(url), { ok: true, problems: [], screenshotPath: o.screenshotPath, title: "" }),
    });
    const publish = await startPublish(operations(), ws, projectId, { fromEnvironment: "staging", toEnvironment: "production" });
    expect(publish.deployTarget).toBe("cloudflare-pages");
    expect(await runPublish(deps, direct, publish.id)).toBe("succeeded");

    const name = pagesProjectName(projectId);
    const deploys = (await stub.calls()).filter((c) => c.args[1] === "deploy");
    expect(deploys.map((c) => c.args)).toEqual([["pages", "deploy", path.join(previews.dataDir, "previews", projectId, String(version)), "--project-name", name, "--branch", "production"]]);
    expect((await stub.calls()).every((c) => c.token === "production-token" && c.account === "acct-1")).toBe(true);
    expect(checked).toEqual([`https://production.${name}.pages.dev`]);
    expect(await getPublish(pool, ws, publish.id)).toMatchObject({ status: "succeeded", phase: "record", url: `https://production.${name}.pages.dev` });
    expect(await production(projectId)).toBe(version);
    const evs = await events(publish.id);
    expect(phases(evs)).toEqual(["validate:in_progress", "validate:complete", "deploy:in_progress", "deploy:complete", "verify:in_progress", "verify:complete", "record:in_progress", "record:complete"]);
    expect(JSON.stringify(evs)).not.toContain("production-token");
  });
});
