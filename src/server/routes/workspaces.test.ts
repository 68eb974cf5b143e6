// GET /workspaces (admin only) and the public workflow JSON Schema, in memory.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";
import { ensureAdminToken } from "../bootstrap.ts";

let t: InMemoryApp;
let admin: string;
beforeAll(async () => {
  t = await startInMemoryApp("workspaces");
  admin = (await ensureAdminToken(t.pool, t.dataDir)).token;
});
afterAll(async () => {
  await t?.close();
});

describe("GET /workspaces", () => {
  it("lists every workspace, oldest first, to the admin token", async () => {
    const created = await t.api("POST", "/workspaces", { name: "listed-one" }, { authorization: `Bearer ${admin}` });
    expect(created.status).toBe(201);
    const r = await t.api("GET", "/workspaces", undefined, { authorization: `Bearer ${admin}` });
    expect(r.status).toBe(200);
    const names = (r.body.workspaces as { id: string; name: string; createdAt: string }[]).map((w) => w.name);
    expect(names).toContain("listed-one");
    expect(names.indexOf("listed-one")).toBeGreaterThan(names.findIndex((n) => n.startsWith("workspaces-")));
    expect(r.body.workspaces.find((w: { name: string }) => w.name === "listed-one")).toEqual({ id: created.body.id, name: "listed-one", createdAt: expect.any(String) });
  });

  it("is refused to a workspace's own owner token (403) and without a token (401)", async () => {
    const owner = await t.api("GET", "/workspaces");
    expect(owner.status).toBe(403);
    expect(owner.body.code).toBe("forbidden");
    const none = await t.request("/api/v1/workspaces");
    expect(none.status).toBe(401);
  });
});

describe("GET /workflows/schema", () => {
  it("is public, so an editor can use it as a $schema URL; its neighbours are not", async () => {
    const schema = await t.request("/api/v1/workflows/schema");
    expect(schema.status).toBe(200);
    expect(((await schema.json()) as { $schema?: string }).$schema).toMatch(/json-schema\.org/);
    for (const route of ["/api/v1/workflows/schema/x", "/api/v1/runs", "/api/v1/runs/workflows/schema"]) {
      expect((await t.request(route)).status, route).toBe(401);
    }
  });
});
