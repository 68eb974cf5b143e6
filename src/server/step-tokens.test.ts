// The short-lived tokens http steps call Shipyard's API with, through the app's own auth (in memory): the
// workspace and role they were minted for, nothing more, and nothing once expired or altered.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StepApiTokens } from "../tokens/step-tokens.ts";
import { createWorkspace } from "./auth.ts";
import { startInMemoryApp, type InMemoryApp } from "../../test/helpers/in-memory-app.ts";

let app: InMemoryApp;
beforeAll(async () => {
  app = await startInMemoryApp("steptok");
});
afterAll(async () => {
  await app?.close();
});

const call = (token: string, method: string, route: string, body?: unknown) => app.api(method, route, body, { authorization: `Bearer ${token}` });

describe("step tokens", () => {
  it("act in their workspace with their role: a member's may read and run, not create a project", async () => {
    const token = app.stepTokens.mint({ workspaceId: app.workspaceId, role: "member", taskId: "run_x:call:1" });
    expect((await call(token, "GET", "/projects")).status).toBe(200);
    expect((await call(token, "POST", "/runs", { workflow: "name: x\nsteps:\n  - id: a\n    run: echo\n" })).status).toBe(201);
    const refused = await call(token, "POST", "/projects", { name: "p", template: "static" });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain("needs the owner role");
  });

  it("see nothing of another workspace", async () => {
    const created = await app.api("POST", "/projects", { name: "mine", repo: "https://example.com/r.git" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const other = await createWorkspace(app.pool, `steptok-other-${randomBytes(3).toString("hex")}`);
    const token = app.stepTokens.mint({ workspaceId: other.id, role: "owner", taskId: "run_y:call:1" });
    expect((await call(token, "GET", `/projects/${created.body.id}`)).status).toBe(404);
    expect((await call(token, "GET", "/projects")).body.projects).toEqual([]);
  });

  it("are refused once expired, altered, or minted under another key", async () => {
    const claims = { workspaceId: app.workspaceId, role: "owner" as const, taskId: "run_z:call:1" };
    const expired = app.stepTokens.mint(claims, Date.now() - 10 * 60_000);
    const [head, mac] = app.stepTokens.mint(claims).split(".");
    const forgedClaims = Buffer.from(JSON.stringify({ w: app.workspaceId, r: "owner", t: "x", e: Date.now() + 3_600_000 * 24 })).toString("base64url");
    const foreign = new StepApiTokens(randomBytes(32)).mint(claims);
    for (const token of [expired, `sya_${forgedClaims}.${mac}`, `${head}.${mac}x`, foreign, "sya_"]) {
      const res = await call(token, "GET", "/projects");
      expect(res.status, token).toBe(401);
      expect(res.body.code).toBe("unauthorized");
    }
  });

  it("verify to their claims until they expire", () => {
    const tokens = new StepApiTokens(randomBytes(32));
    const token = tokens.mint({ workspaceId: "ws_1", role: "viewer", taskId: "t" }, 1000, 500);
    expect(tokens.verify(token, 1499)).toEqual({ workspaceId: "ws_1", role: "viewer", taskId: "t" });
    expect(tokens.verify(token, 1500)).toBeNull();
  });
});
