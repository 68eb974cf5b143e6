import { createHash, randomBytes } from "node:crypto";
import type { Queryable } from "../db/pool.ts";
import { newId } from "../domain/ids.ts";

/** The only module that writes SQL for `api_tokens`: issuing, resolving, listing and revoking tokens. */

export const ROLES = ["owner", "member", "viewer", "runner"] as const;
/** What a token may do in its workspace (see src/server/policy.ts); `runner` may only connect as a runner. */
export type Role = (typeof ROLES)[number];

/** NOTIFY channel: payload is the id of a token just revoked, so every server closes what was opened with it. */
export const TOKEN_REVOKED_CHANNEL = "shipyard_token_revoked";

/** A token as its workspace sees it: never the secret or its hash. */
export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  shared: boolean;
  admin: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

/** Who a live token stands for. */
export interface TokenIdentity {
  id: string;
  workspaceId: string;
  role: Role;
  shared: boolean;
  isAdmin: boolean;
}

interface TokenRow {
  id: string;
  workspace_id: string;
  name: string;
  role: Role;
  shared: boolean;
  is_admin: boolean;
  created_at: Date;
  last_used_at: Date | null;
}

const toRecord = (r: TokenRow): TokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  shared: r.shared,
  admin: r.is_admin,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
});

/** Tokens are 256 random bits, so a plain SHA-256 is a safe way to keep only their hash. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new secret API token. */
export function generateToken(): string {
  return `shp_${randomBytes(32).toString("base64url")}`;
}

/** Store a new token; returns its record and its secret (shown once, never stored). */
export async function insertToken(
  db: Queryable,
  t: { workspaceId: string; name: string; role: Role; shared?: boolean; isAdmin?: boolean },
): Promise<{ record: TokenRecord; token: string }> {
  const token = generateToken();
  const res = await db.query<TokenRow>(
    `insert into api_tokens (id, workspace_id, token_hash, name, role, shared, is_admin) values ($1, $2, $3, $4, $5, $6, $7)
     returning id, workspace_id, name, role, shared, is_admin, created_at, last_used_at`,
    [newId("tok"), t.workspaceId, hashToken(token), t.name, t.role, t.shared ?? false, t.isAdmin ?? false],
  );
  return { record: toRecord(res.rows[0]!), token };
}

/** How stale a token's `last_used_at` may get: writing it on every request cost a row update per request. */
export const LAST_USED_GRANULARITY_SECONDS = 60;

/**
 * The live (not revoked) token with this secret, marking it used (at most once a minute: between two marks
 * a request only reads the row); null when there is none.
 */
export async function useToken(db: Queryable, token: string): Promise<TokenIdentity | null> {
  const res = await db.query<TokenRow>(
    `with live as (select id, workspace_id, role, shared, is_admin, last_used_at from api_tokens where token_hash = $1 and revoked_at is null),
       marked as (update api_tokens t set last_used_at = now() from live
                  where t.id = live.id and (live.last_used_at is null or live.last_used_at < now() - make_interval(secs => $2)))
     select id, workspace_id, role, shared, is_admin from live`,
    [hashToken(token), LAST_USED_GRANULARITY_SECONDS],
  );
  const r = res.rows[0];
  return r ? { id: r.id, workspaceId: r.workspace_id, role: r.role, shared: r.shared, isAdmin: r.is_admin } : null;
}

/** The live token with this secret, without marking it used (for the token files kept in the data dir). */
export async function findLiveToken(db: Queryable, token: string): Promise<TokenIdentity | null> {
  const res = await db.query<TokenRow>(
    "select id, workspace_id, role, shared, is_admin from api_tokens where token_hash = $1 and revoked_at is null",
    [hashToken(token)],
  );
  const r = res.rows[0];
  return r ? { id: r.id, workspaceId: r.workspace_id, role: r.role, shared: r.shared, isAdmin: r.is_admin } : null;
}

/** A workspace's live tokens, oldest first. */
export async function listTokens(db: Queryable, workspaceId: string): Promise<TokenRecord[]> {
  const res = await db.query<TokenRow>(
    `select id, workspace_id, name, role, shared, is_admin, created_at, last_used_at from api_tokens
     where workspace_id = $1 and revoked_at is null order by created_at, id`,
    [workspaceId],
  );
  return res.rows.map(toRecord);
}

/** One live token of a workspace (null when missing, revoked or another workspace's). */
export async function getToken(db: Queryable, workspaceId: string, id: string): Promise<TokenRecord | null> {
  const res = await db.query<TokenRow>(
    `select id, workspace_id, name, role, shared, is_admin, created_at, last_used_at from api_tokens
     where id = $1 and workspace_id = $2 and revoked_at is null`,
    [id, workspaceId],
  );
  return res.rows[0] ? toRecord(res.rows[0]) : null;
}

/**
 * Revoke a live token of a workspace and announce it on TOKEN_REVOKED_CHANNEL (delivered when the caller's
 * transaction commits, so a server that hears of it already sees the token revoked). False when none matched.
 */
export async function revokeToken(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
  const res = await db.query("update api_tokens set revoked_at = now() where id = $1 and workspace_id = $2 and revoked_at is null", [
    id,
    workspaceId,
  ]);
  if (res.rowCount === 0) return false;
  await db.query("select pg_notify($1, $2)", [TOKEN_REVOKED_CHANNEL, id]);
  return true;
}

/** True when the token with this id is revoked (or gone). */
export async function isRevoked(db: Queryable, id: string): Promise<boolean> {
  const res = await db.query("select 1 from api_tokens where id = $1 and revoked_at is null", [id]);
  return res.rowCount === 0;
}
