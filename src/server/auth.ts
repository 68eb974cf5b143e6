import type { MiddlewareHandler } from "hono";
import { inTransaction, type Pool, type PoolClient, type Queryable } from "../db/pool.ts";
import { ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import { insertToken, useToken, type Role } from "../tokens/store.ts";
import { insertWorkspace } from "../workspaces/store.ts";
import { StepApiTokens } from "../tokens/step-tokens.ts";

export { generateToken, hashToken } from "../tokens/store.ts";

/** Who is calling: the workspace its token is scoped to, and what the token may do there. */
export interface Principal {
  workspaceId: string;
  tokenId: string;
  isAdmin: boolean;
  role: Role;
  /** A runner token of the shared pool (its runners serve every workspace). */
  shared: boolean;
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

/** Hono middleware: 401 problem unless a valid bearer token (or, with `stepTokens`, an http step's token) is presented. */
export function requireAuth(db: Queryable, stepTokens?: StepApiTokens): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw new ShipyardError("unauthorized", "missing bearer token: send `Authorization: Bearer <token>`", 401);
    const principal = StepApiTokens.looksLike(token) ? stepPrincipal(stepTokens, token) : await resolveToken(db, token);
    if (!principal) throw new ShipyardError("unauthorized", "unknown or revoked token", 401);
    c.set("principal", principal);
    await next();
  };
}
