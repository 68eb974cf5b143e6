import { createHash, randomBytes } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { inTransaction, type Pool, type PoolClient, type Queryable } from "../db/pool.ts";
import { ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";

/** Who is calling: the workspace its token is scoped to. */
export interface Principal {
  workspaceId: string;
  tokenId: string;
  isAdmin: boolean;
}

export type AppEnv = { Variables: { principal: Principal } };

/** Tokens are 256 random bits, so a plain SHA-256 is a safe way to keep only their hash. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new secret API token. */
export function generateToken(): string {
  return `shp_${randomBytes(32).toString("base64url")}`;
}

/** Store a new token for a workspace and return its secret (shown once, never stored). */
export async function issueToken(db: Queryable, workspaceId: string, name: string, isAdmin = false): Promise<string> {
  const token = generateToken();
  await db.query("insert into api_tokens (id, workspace_id, token_hash, name, is_admin) values ($1, $2, $3, $4, $5)", [
    newId("tok"),
    workspaceId,
    hashToken(token),
    name,
    isAdmin,
  ]);
  return token;
}

/** Create a workspace with its first token. */
export async function createWorkspace(pool: Pool, name: string): Promise<{ id: string; name: string; token: string }> {
  return inTransaction(pool, async (client: PoolClient) => {
    const id = newId("ws");
    const inserted = await client.query("insert into workspaces (id, name) values ($1, $2) on conflict (name) do nothing", [id, name]);
    if (inserted.rowCount === 0) throw new ShipyardError("workspace_exists", `a workspace named "${name}" already exists`, 409);
    const token = await issueToken(client, id, `${name} first token`);
    return { id, name, token };
  });
}

/** The principal a bearer token stands for, or null when it is unknown. */
export async function resolveToken(db: Queryable, token: string): Promise<Principal | null> {
  const res = await db.query<{ id: string; workspace_id: string; is_admin: boolean }>(
    "update api_tokens set last_used_at = now() where token_hash = $1 returning id, workspace_id, is_admin",
    [hashToken(token)],
  );
  const row = res.rows[0];
  return row ? { workspaceId: row.workspace_id, tokenId: row.id, isAdmin: row.is_admin } : null;
}

/** Read `Authorization: Bearer <token>`. */
export function bearerToken(header: string | undefined | null): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1] ?? null;
}

/** Hono middleware: 401 problem unless a valid bearer token is presented. */
export function requireAuth(db: Queryable): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw new ShipyardError("unauthorized", "missing bearer token: send `Authorization: Bearer <token>`", 401);
    const principal = await resolveToken(db, token);
    if (!principal) throw new ShipyardError("unauthorized", "unknown or revoked token", 401);
    c.set("principal", principal);
    await next();
  };
}
