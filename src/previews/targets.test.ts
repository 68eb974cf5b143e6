import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, workspace } from "../../test/helpers/core.ts";
import { previewProject, siteDir } from "../../test/helpers/previews.ts";
import { stubWrangler } from "../../test/helpers/wrangler.ts";
import type { Pool } from "../db/pool.ts";
import { setProjectDeployTarget } from "../projects/store.ts";
import { listPreviews, publishVersion } from "./service.ts";
import { cloudflarePagesTarget, deployTargetFor, deploymentUrl, pagesProjectName, type TargetDeps } from "./targets.ts";
import { previewUrls } from "./urls.ts";

const TOKEN = "cf-token-SECRET-123";
const ACCOUNT = "acct-456";

let pool: Pool;
let ws: string;
const logged: string[] = [];
const log = pino({ level: "debug" }, new Writable({ write: (chunk: Buffer, _e, done) => (logged.push(chunk.toString()), done()) }));
const urls = previewUrls({ baseDomain: "localhost", port: 7421 });
const secrets: Record<string, string> = { CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_ACCOUNT_ID: ACCOUNT };
beforeAll(async () => {
  pool = await coreDatabase("targets");
  ws = await workspace(pool);
});
afterAll(async () => {
  await pool?.end();
});

const depsWith = (bin: string, getSecret = async (_w: string, n: string) => secrets[n] ?? null): TargetDeps => ({ pool, log, urls, getSecret, wrangler: bin, env: { PATH: process.env.PATH } });

describe("Cloudflare Pages through wrangler", () => {
  it("creates the Pages project once, deploys with the right arguments and credentials, and returns the URL", async () => {
    const stub = await stubWrangler();
    const project = await previewProject(pool, ws);
    const dir = await siteDir({ "index.html": "<h1>hi</h1>" });
    const target = cloudflarePagesTarget(depsWith(stub.bin));
    const name = pagesProjectName(project);
    const staging = await target.deploy({ workspaceId: ws, projectId: project, dir, version: 1, environment: "staging" });
    expect(staging.url).toBe(`https://staging.${name}.pages.dev`);
    const production = await target.deploy({ workspaceId: ws, projectId: project, dir, version: 1, environment: "production" });
    expect(production.url).toBe(`https://production.${name}.pages.dev`);
    const calls = await stub.calls();
    expect(calls.map((c) => c.args)).toEqual([
      ["pages", "project", "list"],
      ["pages", "project", "create", name, "--production-branch", "production"],
      ["pages", "deploy", dir, "--project-name", name, "--branch", "staging"],
      ["pages", "project", "list"],
      ["pages", "deploy", dir, "--project-name", name, "--branch", "production"],
    ]);
    expect(calls.every((c) => c.token === TOKEN && c.account === ACCOUNT)).toBe(true);
    expect(logged.join("")).not.toContain(TOKEN);
  });

  it("fails clearly without the Cloudflare secrets, running nothing", async () => {
    const stub = await stubWrangler();
    const project = await previewProject(pool, ws);
    const target = cloudflarePagesTarget(depsWith(stub.bin, async () => null));
    await expect(target.deploy({ workspaceId: ws, projectId: project, dir: "/tmp", version: 1, environment: "staging" })).rejects.toMatchObject({ code: "deploy_failed", status: 422, message: expect.stringContaining("CLOUDFLARE_API_TOKEN") });
    expect(await stub.calls()).toEqual([]);
  });

  it("reports wrangler's failure without the token", async () => {
    const bin = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-wrangler-")), "wrangler");
    await fs.writeFile(bin, `#!/bin/sh\necho "auth failed for $CLOUDFLARE_API_TOKEN" >&2\nexit 1\n`, { mode: 0o755 });
    const project = await previewProject(pool, ws);
    const err = (await cloudflarePagesTarget(depsWith(bin)).deploy({ workspaceId: ws, projectId: project, dir: "/tmp", version: 1, environment: "staging" }).catch((e: Error) => e)) as Error & { code: string };
    expect(err.code).toBe("deploy_failed");
    expect(err.message).toContain("auth failed for [redacted]");
    expect(err.message).not.toContain(TOKEN);
  });

  it("parses the deployment URL from wrangler's output", () => {
    expect(deploymentUrl("✨ Deployment complete! Take a peek over at https://abc.site.pages.dev")).toBe("https://abc.site.pages.dev");
    expect(deploymentUrl("nothing here")).toBeNull();
  });
});

describe("a project's deploy target", () => {
  it("is the built-in host by default (deploying promotes), Cloudflare Pages when chosen", async () => {
    const stub = await stubWrangler();
    const project = await previewProject(pool, ws);
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-previews-"));
    const dir = await siteDir({ "index.html": "v1" });
    const v = await publishVersion({ pool, dataDir, log, urls }, { workspaceId: ws, projectId: project, dir, commit: null, buildId: null });
    const builtin = await deployTargetFor(depsWith(stub.bin), ws, project);
    expect(builtin.name).toBe("builtin");
    expect(await builtin.deploy({ workspaceId: ws, projectId: project, dir, version: v.version, environment: "staging" })).toEqual({ url: urls.environmentUrl(project, "staging") });
    expect((await listPreviews({ pool, urls }, { workspaceId: ws, projectId: project })).environments.staging.version).toBe(1);
    await setProjectDeployTarget(pool, ws, project, "cloudflare-pages");
    expect((await deployTargetFor(depsWith(stub.bin), ws, project)).name).toBe("cloudflare-pages");
    await expect(deployTargetFor(depsWith(stub.bin), await workspace(pool), project)).rejects.toMatchObject({ status: 404 });
  });
});
