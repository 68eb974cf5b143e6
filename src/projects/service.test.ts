import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, flakyPool, workspace } from "../../test/helpers/core.ts";
import { loadConfig } from "../config.ts";
import type { Pool } from "../db/pool.ts";
import { ProjectInput } from "../jobs/schemas.ts";
import { createOutboundClient } from "../net/outbound-client.ts";
import { SecretBox } from "../secrets/box.ts";
import { createSecretStore } from "../secrets/store.ts";
import { createProjectFromTemplate, type ProjectServiceDeps } from "./service.ts";
import type { ProjectView } from "./store.ts";
import { loadCatalogue, type Template } from "./templates.ts";

let pool: Pool;
let workspaceId: string;
beforeAll(async () => {
  pool = await coreDatabase("project-service");
  workspaceId = await workspace(pool);
});
afterAll(async () => {
  await pool?.end();
});

function deps(db: Pool, reposDir: string, afterCreate?: (workspaceId: string, p: ProjectView, t: Template) => Promise<void>): ProjectServiceDeps {
  return {
    pool: db,
    secrets: createSecretStore(pool, new SecretBox(randomBytes(32))),
    outbound: createOutboundClient(loadConfig({}).urls),
    templates: { catalogue: loadCatalogue(), reposDir, afterCreate },
  };
}
const input = (name: string) => ({ ...ProjectInput.parse({ name, template: "static" }), template: "static" });
const count = async (name: string) => Number((await pool.query("select count(*) from projects where name = $1", [name])).rows[0].count);

describe("createProjectFromTemplate", () => {
  it("a transaction that never commits leaves no project and takes the renamed repository away again", async () => {
    const reposDir = path.join(mkdtempSync(path.join(os.tmpdir(), "shipyard-repos-")), "repos");
    const lost = flakyPool(pool, /^commit$/);
    await expect(createProjectFromTemplate(deps(lost, reposDir), workspaceId, input("lost"))).rejects.toThrow();
    expect(lost.failures).toBe(1);
    expect(await count("lost")).toBe(0);
    expect(readdirSync(reposDir)).toEqual([]);
  });

  it("calls the after-create hook once with the stored project and its template (the first deploy's seam)", async () => {
    const reposDir = path.join(mkdtempSync(path.join(os.tmpdir(), "shipyard-repos-")), "repos");
    const calls: [ProjectView, string][] = [];
    const project = await createProjectFromTemplate(deps(pool, reposDir, async (ws, p, t) => void calls.push([p, `${ws === workspaceId}:${t.manifest.name}`])), workspaceId, input("hooked"));
    expect(calls).toEqual([[project, "true:static"]]);
    expect(await count("hooked")).toBe(1);
    expect(readdirSync(reposDir)).toEqual([`${project.id}.git`]);
  });
});
