// Previews in a real Shipyard: the preview host starts with `up` on its own port and shows what the CLI promotes.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "./helpers/cli.ts";
import { fetchPreview, siteDir } from "./helpers/previews.ts";
import { startTestShipyard, type TestShipyard } from "./helpers/shipyard.ts";
import { createPool, type Pool } from "../src/db/pool.ts";
import { createLogger } from "../src/logger.ts";
import { publishVersion } from "../src/previews/service.ts";
import { previewUrls } from "../src/previews/urls.ts";

let s: TestShipyard;
let pool: Pool;
let scratch: string;
beforeAll(async () => {
  s = await startTestShipyard({ localRunner: false });
  pool = createPool(s.databaseUrl, 2);
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-cli-"));
});
afterAll(async () => {
  await pool?.end();
  await s?.stop();
});

const cli = (...args: string[]): Promise<CliResult> =>
  runCli(args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: scratch, SHIPYARD_URL: s.url, SHIPYARD_TOKEN: s.adminToken, NO_COLOR: "1" } });

describe("previews on a running Shipyard", () => {
  it("serves published versions on the preview port; the CLI lists them and promotes one, and the stable URL follows", async () => {
    expect(s.previewPort).toBeGreaterThan(0);
    expect(s.previewPort).not.toBe(Number(new URL(s.url).port));
    const created = await s.api("POST", "/projects", { name: "landing", repo: "https://example.com/landing.git" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const projectId = created.body.id as string;
    const { rows } = await pool.query<{ workspace_id: string }>("select workspace_id from projects where id = $1", [projectId]);
    const urls = previewUrls({ baseDomain: "localhost", port: s.previewPort });
    const deps = { pool, dataDir: s.dataDir, log: createLogger("silent"), urls };
    for (const n of [1, 2]) {
      await publishVersion(deps, { workspaceId: rows[0]!.workspace_id, projectId, dir: await siteDir({ "index.html": `<h1>landing v${n}</h1>` }), commit: `c0ffee${n}`, buildId: `bld_${n}` });
    }

    const placeholder = await fetchPreview(urls.environmentUrl(projectId, "staging"));
    expect(await placeholder.text()).toContain("No version published yet");

    const promoted = await cli("promote", "landing", "2");
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toContain(`staging of landing now shows v2: ${urls.environmentUrl(projectId, "staging")}`);
    expect(await (await fetchPreview(urls.environmentUrl(projectId, "staging"))).text()).toBe("<h1>landing v2</h1>");

    const production = await cli("promote", "landing", "1", "--env", "production", "--json");
    expect(JSON.parse(production.stdout)).toMatchObject({ environment: "production", version: 1, url: urls.environmentUrl(projectId, "production") });
    expect(await (await fetchPreview(urls.environmentUrl(projectId, "production"))).text()).toBe("<h1>landing v1</h1>");

    const listed = await cli("previews", "landing");
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/staging\s+v2\s+http:\/\//);
    expect(listed.stdout).toMatch(/production\s+v1\s+http:\/\//);
    expect(listed.stdout).toMatch(/v2\s+c0ffee2\s+\S+\s+staging\s+http/);

    // The API's port never serves a preview: asked with a preview's host, it answers with its own UI page.
    const onApi = await fetch(`${s.url}/`, { headers: { host: new URL(urls.environmentUrl(projectId, "staging")).host } });
    const page = await onApi.text();
    expect(page).not.toContain("landing v");
    expect(page).toContain("<title>Shipyard</title>");
    // Three CLI processes, each a cold start of node and tsx: slow on a loaded machine.
  }, 180_000);
});
