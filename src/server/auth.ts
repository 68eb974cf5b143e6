import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { parse as parseCookies } from "hono/utils/cookie";
import { inTransaction, type Pool, type PoolClient, type Queryable } from "../db/pool.ts";
import { ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import { insertToken, useToken, type Role } from "../tokens/store.ts";
import { insertWorkspace } from "../workspaces/store.ts";
import { StepApiTokens } from "../tokens/step-tokens.ts";
import { sessionIdentity } from "../web-sessions/service.ts";

export { generateToken, hashToken } from "../tokens/store.ts";

/** Who is calling: the workspace its token is scoped to, and what the token may do there. */
export interface Principal {
  workspaceId: string;
  tokenId: string;
  isAdmin: boolean;
  role: Role;
  /** A runner token of the shared pool (its runners serve every workspace). */
  shared: boolean;
  /** Set when the request was signed in by a web session cookie (the token is the session's). */
  sessionId?: string;
}

export type AppEnv = { Variables: { principal: Principal } };

/** Store a new owner token for a workspace (the admin's when `isAdmin`) and return its secret (shown once, never stored). */
export async function issueToken(db: Queryable, workspaceId: string, name: string, isAdmin = false): Promise<string> {
  return (await insertToken(db, { workspaceId, name, role: "owner", isAdmin })).token;
}

/** Create a workspace with its first token. */
export async function createWorkspace(pool: Pool, name: string): Promise<{ id: string; name: string; token: string }> {
  return inTransaction(pool, async (client: PoolClient) => {
    const id = newId("ws");
    if (!(await insertWorkspace(client, id, name))) throw new ShipyardError("workspace_exists", `a workspace named "${name}" already exists`, 409);
    const token = await issueToken(client, id, `${name} first token`);
    return { id, name, token };
  });
}

/** The principal a bearer token stands for, or null when it is unknown or revoked. */
export async function resolveToken(db: Queryable, token: string): Promise<Principal | null> {
  const t = await useToken(db, token);
  return t ? { workspaceId: t.workspaceId, tokenId: t.id, isAdmin: t.isAdmin, role: t.role, shared: t.shared } : null;
}

/** Read `Authorization: Bearer <token>`. */
export function bearerToken(header: string | undefined | null): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1] ?? null;
}

/** The principal of an http step's short-lived token (see src/tokens/step-tokens.ts), or null. */
function stepPrincipal(stepTokens: StepApiTokens | undefined, token: string): Principal | null {
  const claims = stepTokens?.verify(token);
  return claims ? { workspaceId: claims.workspaceId, tokenId: `step:${claims.taskId}`, isAdmin: false, role: claims.role, shared: false } : null;
}

/** The cookie that carries a browser's session secret (HttpOnly, SameSite=Strict; see routes/web-session.ts). */
export const SESSION_COOKIE = "shipyard_session";

/** The principal of a web session's secret, or null when the session or its token is revoked or expired. */
export async function resolveSession(db: Queryable, secret: string): Promise<Principal | null> {
  const s = await sessionIdentity(db, secret);
  return s ? { workspaceId: s.workspaceId, tokenId: s.id, isAdmin: s.isAdmin, role: s.role, shared: s.shared, sessionId: s.sessionId } : null;
}

/** The session secret of a raw `Cookie` header (the events socket's upgrade has no Hono context). */
export function sessionFromCookieHeader(header: string | undefined): string | null {
  return header ? (parseCookies(header, SESSION_COOKIE)[SESSION_COOKIE] ?? null) : null;
}

/**
 * True when a request comes from a page of this origin: the browser's Fetch Metadata says so, or (older
 * browsers) its Origin is ours. A cookie rides along on requests other sites' pages make, a bearer token never
 * does, so state-changing requests signed in by cookie must pass this (Hono's csrf middleware checks form
 * content types only, and same-site origins such as a preview's share SameSite=Strict cookies).
 */
export function isSameOrigin(headers: { secFetchSite?: string; origin?: string; host?: string }, ownOrigin: string): boolean {
  if (headers.secFetchSite) return headers.secFetchSite === "same-origin";
  return headers.origin !== undefined && headers.origin === ownOrigin;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** 403 unless a cookie-signed, state-changing request comes from this origin. */
export function checkCookieRequest(c: Context): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  if (!isSameOrigin({ secFetchSite: c.req.header("sec-fetch-site"), origin: c.req.header("origin") }, new URL(c.req.url).origin)) {
    throw new ShipyardError("forbidden", "cross-site request refused: a request signed in by the session cookie must come from Shipyard's own pages", 403, { reason: "csrf" });
  }
}

/**
 * Hono middleware: 401 problem unless a valid bearer token (with `stepTokens`, an http step's token too) or a web
 * session cookie is presented. `tokens`: where bearer tokens are resolved (a cache of recent ones); default: the database.
 */
export function requireAuth(db: Queryable, stepTokens?: StepApiTokens, tokens?: { resolve(token: string): Promise<Principal | null> }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    const cookie = token ? undefined : getCookie(c, SESSION_COOKIE);
    if (!token && !cookie) throw new ShipyardError("unauthorized", "missing bearer token: send `Authorization: Bearer <token>`", 401);
    const principal = token
      ? StepApiTokens.looksLike(token)
        ? stepPrincipal(stepTokens, token)
        : await (tokens ? tokens.resolve(token) : resolveToken(db, token))
      : await resolveSession(db, cookie!);
    if (!principal) throw new ShipyardError("unauthorized", token ? "unknown or revoked token" : "the session has ended: sign in again", 401);
    if (!token) checkCookieRequest(c);
    c.set("principal", principal);
    await next();
  };
}
