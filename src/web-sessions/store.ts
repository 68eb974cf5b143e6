// The `web_signin_codes` and `web_sessions` tables: every statement that reads or writes them.
import { randomBytes } from "node:crypto";
import type { Queryable } from "../db/pool.ts";
import { newId } from "../domain/ids.ts";
import { hashToken, type TokenIdentity } from "../tokens/store.ts";

/** A new secret (a sign-in code or a session's cookie value): 256 random bits, kept only as its hash. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

/** Store a one-time sign-in code for a workspace, valid for `ttlSeconds`. */
export async function insertSignInCode(db: Queryable, workspaceId: string, ttlSeconds: number): Promise<string> {
  const code = newSecret("sic_");
  await db.query("insert into web_signin_codes (code_hash, workspace_id, expires_at) values ($1, $2, now() + make_interval(secs => $3))", [
    hashToken(code),
    workspaceId,
    ttlSeconds,
  ]);
  return code;
}

/** Use a sign-in code: the workspace it is for, or null when it is unknown, used or expired (it is then used up). */
export async function useSignInCode(db: Queryable, code: string): Promise<string | null> {
  const res = await db.query<{ workspace_id: string }>(
    "update web_signin_codes set used_at = now() where code_hash = $1 and used_at is null and expires_at > now() returning workspace_id",
    [hashToken(code)],
  );
  return res.rows[0]?.workspace_id ?? null;
}

/** Open a session for a token, valid for `ttlSeconds`; returns its id and its secret (the cookie's value). */
export async function insertSession(db: Queryable, s: { tokenId: string; ownsToken: boolean; ttlSeconds: number }): Promise<{ id: string; secret: string }> {
  const id = newId("wss");
  const secret = newSecret("sys_");
  await db.query(
    "insert into web_sessions (id, session_hash, token_id, owns_token, expires_at) values ($1, $2, $3, $4, now() + make_interval(secs => $5))",
    [id, hashToken(secret), s.tokenId, s.ownsToken, s.ttlSeconds],
  );
  return { id, secret };
}

/** Who a live session stands for: its token's identity (null when the session or its token is revoked or expired). */
export async function findSession(db: Queryable, secret: string): Promise<(TokenIdentity & { sessionId: string }) | null> {
  const res = await db.query<{ session_id: string; id: string; workspace_id: string; role: TokenIdentity["role"]; shared: boolean; is_admin: boolean }>(
    `select s.id as session_id, t.id, t.workspace_id, t.role, t.shared, t.is_admin
       from web_sessions s join api_tokens t on t.id = s.token_id
      where s.session_hash = $1 and s.revoked_at is null and s.expires_at > now() and t.revoked_at is null`,
    [hashToken(secret)],
  );
  const r = res.rows[0];
  return r ? { sessionId: r.session_id, id: r.id, workspaceId: r.workspace_id, role: r.role, shared: r.shared, isAdmin: r.is_admin } : null;
}

/** Revoke a live session; returns its token's id when the session owned it (so the caller revokes that too), else null. */
export async function revokeSession(db: Queryable, sessionId: string): Promise<{ tokenId: string; ownsToken: boolean } | null> {
  const res = await db.query<{ token_id: string; owns_token: boolean }>(
    "update web_sessions set revoked_at = now() where id = $1 and revoked_at is null returning token_id, owns_token",
    [sessionId],
  );
  const r = res.rows[0];
  return r ? { tokenId: r.token_id, ownsToken: r.owns_token } : null;
}
