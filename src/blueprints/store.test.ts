// The blueprint store on a fresh database: a build's end moves its blueprint to built or back to draft with
// the failure, and a turn that read an older version, or lands while a build runs, is refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, workspace } from "../../test/helpers/core.ts";
import type { Pool } from "../db/pool.ts";
import { newId } from "../domain/ids.ts";
import { emptyPlan } from "./schemas.ts";
import { blueprintOfWorkspace, insertBlueprint, markBuilding, recordBlueprintBuild, updatePlan } from "./store.ts";

let pool: Pool;
let ws: string;
let projectId: string;
beforeAll(async () => {
  pool = await coreDatabase("blueprint_store");
  ws = await workspace(pool);
  projectId = newId("prj");
  await pool.query("insert into projects (id, workspace_id, name, repo, default_branch) values ($1, $2, 'p', '/tmp/none', 'main')", [projectId, ws]);
});
afterAll(async () => {
  await pool?.end();
});

async function blueprint(slug: string): Promise<string> {
  const id = newId("bp");
  expect(await insertBlueprint(pool, { id, workspaceId: ws, projectId, featureName: slug, slug, plan: emptyPlan() })).toBe(true);
  return id;
}
const row = async (id: string) => (await blueprintOfWorkspace(pool, ws, id))!;

describe("the blueprint store", () => {
  it("a failed build puts the blueprint back to draft with the failure; a successful one makes it built at its commit", async () => {
    const id = await blueprint("fails-then-builds");
    expect(await markBuilding(pool, id, 0, "bld_1")).toBe(true);
    expect(await markBuilding(pool, id, 0, "bld_2")).toBe(false);
    expect(await updatePlan(pool, id, 0, emptyPlan(), "draft")).toBeNull();
    await recordBlueprintBuild(pool, "bld_1", { ok: false, error: "the test phase failed" });
    expect(await row(id)).toMatchObject({ status: "draft", last_error: "the test phase failed", built_commit: null });
    expect(await markBuilding(pool, id, 0, "bld_2")).toBe(true);
    // The first build's end, told again (a replayed step), changes nothing now.
    await recordBlueprintBuild(pool, "bld_1", { ok: true, commit: "abc" });
    expect((await row(id)).status).toBe("building");
    await recordBlueprintBuild(pool, "bld_2", { ok: true, commit: "def" });
    expect(await row(id)).toMatchObject({ status: "built", last_error: null, built_commit: "def" });
  });

  it("a turn that read an older version stores nothing", async () => {
    const id = await blueprint("raced");
    expect((await updatePlan(pool, id, 0, { ...emptyPlan(), summary: "first" }, "draft"))?.version).toBe(1);
    expect(await updatePlan(pool, id, 0, { ...emptyPlan(), summary: "second" }, "draft")).toBeNull();
    expect((await row(id)).plan.summary).toBe("first");
    expect(await insertBlueprint(pool, { id: newId("bp"), workspaceId: ws, projectId, featureName: "Raced", slug: "raced", plan: emptyPlan() })).toBe(false);
  });
});
