import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { ShipyardError } from "../../domain/errors.ts";
import { SESSION_TTL_SECONDS, signInWithCode, signInWithToken, signOut } from "../../web-sessions/service.ts";
import { checkCookieRequest, SESSION_COOKIE, type AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, jsonContent } from "../schemas.ts";

/** Where the browser's session is opened (public: it is how a browser gets in). */
export const SESSION_PATH = "/api/v1/session";

const SignInSchema = z.union([
  z.object({ code: z.string().min(1).max(200) }).strict(),
  z.object({ token: z.string().min(1).max(200) }).strict(),
]);

export const SessionSchema = z
  .object({
    workspaceId: z.string(),
    role: z.string(),
    admin: z.boolean(),
    via: z.enum(["session", "token"]).openapi({ description: "`session`: signed in by the web session cookie" }),
  })
  .openapi("Session");

/**
 * POST /api/v1/session on the app itself (before the authenticated API): a sign-in code or a pasted token opens
 * a session whose secret goes to an HttpOnly, SameSite=Strict cookie. Same-origin only, so no other site can
 * sign a browser in to a workspace of its choosing.
 */
export function signInRoute(deps: Pick<ServerDeps, "pool">, app: Hono<AppEnv>): void {
  app.post(SESSION_PATH, async (c) => {
    checkCookieRequest(c);
    const parsed = SignInSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw new ShipyardError("invalid_request", 'send {"code": "..."} (the sign-in link\'s code) or {"token": "..."}', 400);
    const body = parsed.data;
    const opened = "code" in body ? await signInWithCode(deps.pool, body.code) : await signInWithToken(deps.pool, body.token);
    setCookie(c, SESSION_COOKIE, opened.secret, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      maxAge: SESSION_TTL_SECONDS,
      secure: new URL(c.req.url).protocol === "https:",
    });
    const { identity } = opened;
    return c.json({ workspaceId: identity.workspaceId, role: identity.role, admin: identity.isAdmin, via: "session" as const }, 201);
  });
}

/** GET and DELETE /session in the authenticated API: who is signed in, and signing out. */
export function sessionRoutes(deps: Pick<ServerDeps, "pool">, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({ method: "get", path: "/session", summary: "Who this request is signed in as", responses: { 200: jsonContent(SessionSchema, "The session"), ...errorResponses(401) } }),
    (c) => {
      const p = c.get("principal");
      return c.json({ workspaceId: p.workspaceId, role: p.role, admin: p.isAdmin, via: p.sessionId ? ("session" as const) : ("token" as const) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "delete",
      path: "/session",
      summary: "Sign out: the session ends at once (and the token a sign-in link minted for it is revoked)",
      responses: { 204: { description: "Signed out" }, ...errorResponses(401, 404) },
    }),
    async (c) => {
      const p = c.get("principal");
      if (!p.sessionId) throw new ShipyardError("not_found", "this request carries a bearer token, not a web session: revoke the token with DELETE /tokens/{id}", 404);
      await signOut(deps.pool, p.workspaceId, p.sessionId);
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
      return c.body(null, 204);
    },
  );
}
