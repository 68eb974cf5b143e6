// Signing a browser in and out. A sign-in code mints an owner token for its session alone (the admin token never
// reaches a browser); a pasted token opens a session that stands for that token. Either way the browser only ever
// holds the session's secret, and the principal of a request is the token's.
import { inTransaction, type Pool, type Queryable } from "../db/pool.ts";
import { ShipyardError } from "../domain/errors.ts";
import { insertToken, revokeToken, useToken, type TokenIdentity } from "../tokens/store.ts";
import { findSession, insertSession, insertSignInCode, revokeSession, useSignInCode } from "./store.ts";

/** How long a sign-in code printed by `shipyard up` can be used (once). */
export const SIGN_IN_CODE_TTL_SECONDS = 15 * 60;
/** How long a browser session lasts (the cookie's Max-Age too). */
export const SESSION_TTL_SECONDS = 7 * 24 * 3600;

/** A session just opened: the cookie's value (shown to no one but the browser) and who it stands for. */
export interface OpenedSession {
  secret: string;
  sessionId: string;
  identity: TokenIdentity;
}

/** A one-time sign-in code for a workspace (valid SIGN_IN_CODE_TTL_SECONDS). */
export function issueSignInCode(db: Queryable, workspaceId: string): Promise<string> {
  return insertSignInCode(db, workspaceId, SIGN_IN_CODE_TTL_SECONDS);
}

/** Exchange a sign-in code for a session with an owner token of its own; 401 when the code is unknown, used or expired. */
export function signInWithCode(pool: Pool, code: string): Promise<OpenedSession> {
  return inTransaction(pool, async (client) => {
    const workspaceId = await useSignInCode(client, code);
    if (!workspaceId) throw new ShipyardError("unauthorized", "this sign-in code is unknown, already used or expired: restart `shipyard up` for a new link, or paste a token", 401);
    const { record } = await insertToken(client, { workspaceId, name: "web sign-in", role: "owner" });
    const session = await insertSession(client, { tokenId: record.id, ownsToken: true, ttlSeconds: SESSION_TTL_SECONDS });
    return { secret: session.secret, sessionId: session.id, identity: { id: record.id, workspaceId, role: record.role, shared: false, isAdmin: false } };
  });
}

/** Open a session that stands for a live token; 401 for an unknown or revoked one, 403 for a runner token. */
export async function signInWithToken(pool: Pool, token: string): Promise<OpenedSession> {
  const identity = await useToken(pool, token);
  if (!identity) throw new ShipyardError("unauthorized", "unknown or revoked token", 401);
  if (identity.role === "runner") throw new ShipyardError("forbidden", "a runner token may only connect as a runner, not sign in", 403, { requiredRole: "viewer", role: "runner" });
  const session = await insertSession(pool, { tokenId: identity.id, ownsToken: false, ttlSeconds: SESSION_TTL_SECONDS });
  return { secret: session.secret, sessionId: session.id, identity };
}

/** Who a session cookie stands for, or null when the session or its token is revoked or expired. */
export function sessionIdentity(db: Queryable, secret: string): Promise<(TokenIdentity & { sessionId: string }) | null> {
  return findSession(db, secret);
}

/**
 * Sign out: the session ends at once, and the token minted for it is revoked too (its NOTIFY closes the event
 * streams the browser opened). A pasted token stays valid: its owner may use it elsewhere.
 */
export async function signOut(pool: Pool, workspaceId: string, sessionId: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    const ended = await revokeSession(client, sessionId);
    if (ended?.ownsToken) await revokeToken(client, workspaceId, ended.tokenId);
  });
}
