import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";

let t: InMemoryApp;
beforeAll(async () => {
  t = await startInMemoryApp("projects");
});
afterAll(async () => {
  await t?.close();
});

describe("POST /projects", () => {
  it("stores nothing of a project refused for a taken name: no second credentials secret", async () => {
    const first = await t.api("POST", "/projects", { name: "site", repo: "https://example.com/site.git", credentials: "ghp_first" });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.hasCredentials).toBe(true);
    const before = await t.secrets.listNames(t.workspaceId);
    expect(before).toEqual([`git_token_${first.body.id}`]);

    const again = await t.api("POST", "/projects", { name: "site", repo: "https://example.com/other.git", credentials: "ghp_second" });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "project_exists" });
    expect(await t.secrets.listNames(t.workspaceId)).toEqual(before);
    expect(await t.secrets.get(t.workspaceId, before[0]!)).toBe("ghp_first");
    expect((await t.api("GET", "/projects")).body.projects).toHaveLength(1);
  });
});
