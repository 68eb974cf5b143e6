// Browser sessions in memory: a one-time code or a pasted token opens a cookie session standing for a token;
// cookie requests that change state must come from Shipyard's own origin; signing out ends the session.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";
import { issueSignInCode } from "../../web-sessions/service.ts";

const ORIGIN = "http://localhost";
let app: InMemoryApp;
const webDir = mkdtempSync(path.join(os.tmpdir(), "shipyard-web-"));

beforeAll(async () => {
  mkdirSync(path.join(webDir, "assets"));
  writeFileSync(path.join(webDir, "index.html"), "<!doctype html><title>Shipyard</title>");
  writeFileSync(path.join(webDir, "assets", "app-1234.js"), "console.log(1)");
  app = await startInMemoryApp("web-session", { webDir });
});
afterAll(() => app.close());

/** POST /api/v1/session as the browser's own page would send it. */
const signIn = (body: unknown, headers: Record<string, string> = { origin: ORIGIN }) =>
  app.request("/api/v1/session", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

const cookieOf = (res: Response) => /shipyard_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1] ?? "";

/** A request with only the session cookie (no bearer token). */
const withCookie = (cookie: string, method: string, route: string, headers: Record<string, string> = {}, body?: unknown) =>
  app.request(`/api/v1${route}`, {
    method,
    headers: { cookie: `shipyard_session=${cookie}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });

const runCount = async () => Number((await app.pool.query("select count(*) from runs where workspace_id = $1", [app.workspaceId])).rows[0].count);

describe("web sessions", () => {
  it("a sign-in code opens an HttpOnly, SameSite=Strict session once; the cookie then reads the API as the code's workspace", async () => {
    const code = await issueSignInCode(app.pool, app.workspaceId);
    const res = await signIn({ code });
    expect(res.status).toBe(201);
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = cookieOf(res);
    const me = await withCookie(cookie, "GET", "/session");
    expect(await me.json()).toMatchObject({ workspaceId: app.workspaceId, role: "owner", admin: false, via: "session" });
    expect((await withCookie(cookie, "GET", "/runs")).status).toBe(200);
    // Single use: the same code again opens nothing.
    expect((await signIn({ code })).status).toBe(401);
    // Only hashes are stored.
    const { rows } = await app.pool.query("select code_hash from web_signin_codes");
    expect(rows.map((r) => r.code_hash)).not.toContain(code);
  });

  it("an expired code is refused", async () => {
    const code = await issueSignInCode(app.pool, app.workspaceId);
    await app.pool.query("update web_signin_codes set expires_at = now() - interval '1 second' where used_at is null");
    const res = await signIn({ code });
    expect(res.status).toBe(401);
    expect((await res.json()).code).toBe("unauthorized");
  });

  it("a pasted token opens a session standing for it; a runner token and an unknown one are refused", async () => {
    const res = await signIn({ token: app.token });
    expect(res.status).toBe(201);
    expect((await (await withCookie(cookieOf(res), "GET", "/session")).json()).role).toBe("owner");
    const runner = (await app.api("POST", "/tokens", { name: "r", role: "runner" })).body.token;
    expect((await signIn({ token: runner })).status).toBe(403);
    expect((await signIn({ token: "shp_nope" })).status).toBe(401);
    expect((await signIn({ nothing: 1 })).status).toBe(400);
  });

  it("signing in from another site's page is refused (login CSRF)", async () => {
    const code = await issueSignInCode(app.pool, app.workspaceId);
    const res = await signIn({ code }, { origin: "http://evil.example" });
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("a state-changing request with the cookie from another origin gets 403 and changes nothing; from our origin it passes; bearer tokens are unaffected", async () => {
    const cookie = cookieOf(await signIn({ code: await issueSignInCode(app.pool, app.workspaceId) }));
    const doc = { workflow: "name: x\nsteps:\n  - id: a\n    run: echo a\n" };
    const before = await runCount();
    const crossSite: Record<string, string>[] = [{ origin: "http://evil.example" }, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site", origin: ORIGIN }, {}];
    for (const headers of crossSite) {
      const res = await withCookie(cookie, "POST", "/runs", headers, doc);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect((await res.json()).code).toBe("forbidden");
    }
    // A form post (text/plain, no preflight) is refused too.
    const form = await app.request("/api/v1/runs", { method: "POST", headers: { cookie: `shipyard_session=${cookie}`, "content-type": "text/plain", origin: "http://evil.example" }, body: JSON.stringify(doc) });
    expect(form.status).toBe(403);
    expect(await runCount()).toBe(before);
    expect((await withCookie(cookie, "POST", "/runs", { origin: ORIGIN }, doc)).status).toBe(201);
    expect((await withCookie(cookie, "POST", "/runs", { "sec-fetch-site": "same-origin" }, doc)).status).toBe(201);
    // Reads need no origin, and a bearer token never needs one.
    expect((await withCookie(cookie, "GET", "/runs", { origin: "http://evil.example" })).status).toBe(200);
    expect((await app.api("POST", "/runs", doc)).status).toBe(201);
    expect(await runCount()).toBe(before + 3);
  });

  it("sign out ends the session at once and revokes the token its code minted; a pasted token stays valid", async () => {
    const cookie = cookieOf(await signIn({ code: await issueSignInCode(app.pool, app.workspaceId) }));
    const minted = (await app.pool.query("select token_id from web_sessions where revoked_at is null order by created_at desc limit 1")).rows[0].token_id;
    const out = await withCookie(cookie, "DELETE", "/session", { origin: ORIGIN });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/shipyard_session=;/);
    expect((await withCookie(cookie, "GET", "/runs")).status).toBe(401);
    expect((await app.pool.query("select revoked_at from api_tokens where id = $1", [minted])).rows[0].revoked_at).not.toBeNull();

    const pasted = cookieOf(await signIn({ token: app.token }));
    expect((await withCookie(pasted, "DELETE", "/session", { origin: ORIGIN })).status).toBe(204);
    expect((await withCookie(pasted, "GET", "/runs")).status).toBe(401);
    expect((await app.api("GET", "/runs")).status).toBe(200);
    // A bearer request has no session to end.
    expect((await app.api("DELETE", "/session")).status).toBe(404);
  });

  it("revoking the session's token ends the session", async () => {
    const created = (await app.api("POST", "/tokens", { name: "viewer", role: "viewer" })).body;
    const cookie = cookieOf(await signIn({ token: created.token }));
    expect((await withCookie(cookie, "GET", "/session")).status).toBe(200);
    expect((await app.api("DELETE", `/tokens/${created.id}`)).status).toBe(204);
    expect((await withCookie(cookie, "GET", "/session")).status).toBe(401);
  });
});

describe("the web UI's files", () => {
  it("serves index.html at / and for every page path (history routing); assets as they are; the API keeps its 404s", async () => {
    for (const p of ["/", "/runs", "/runs/run_123", "/studio/prj_1", "/signin?code=x"]) {
      const res = await app.request(p);
      expect(res.status, p).toBe(200);
      expect(await res.text()).toContain("<title>Shipyard</title>");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
    }
    const asset = await app.request("/assets/app-1234.js");
    expect(await asset.text()).toBe("console.log(1)");
    expect(asset.headers.get("cache-control")).toContain("immutable");
    const api = await app.request("/api/v1/nope", { headers: { authorization: `Bearer ${app.token}` } });
    expect(api.status).toBe(404);
    expect(api.headers.get("content-type")).toContain("application/problem+json");
    expect((await app.request("/api/v2/x")).status).toBe(404);
    expect((await app.request("/assets/gone-5678.js")).status).toBe(404);
  });
});
