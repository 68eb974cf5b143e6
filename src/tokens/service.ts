import { inTransaction, type Pool } from "../db/pool.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import { getToken, insertToken, listTokens, revokeToken, type Role, type TokenRecord } from "./store.ts";

/** Who asks (the calling token), as far as token management cares. */
export interface TokenCaller {
  workspaceId: string;
  isAdmin: boolean;
}

/**
 * Issue a token in the caller's workspace; the secret is returned once. Only the admin may issue a runner
 * token of the shared pool, whose runners serve every workspace.
 */
export async function createToken(
  pool: Pool,
  caller: TokenCaller,
  req: { name: string; role: Role; shared?: boolean },
): Promise<TokenRecord & { token: string }> {
  if (req.shared && req.role !== "runner") throw new ShipyardError("invalid_request", "shared: only a runner token can be shared", 400);
  if (req.shared && !caller.isAdmin) {
    throw new ShipyardError("forbidden", "only the admin token may create a shared-pool runner token; a workspace's runner token serves only that workspace", 403, {
      requiredRole: "admin",
    });
  }
  const { record, token } = await insertToken(pool, { workspaceId: caller.workspaceId, name: req.name, role: req.role, shared: req.shared ?? false });
  return { ...record, token };
}

/** The caller's workspace's live tokens (never their secrets). */
export function tokensOf(pool: Pool, caller: TokenCaller): Promise<TokenRecord[]> {
  return listTokens(pool, caller.workspaceId);
}

/**
 * Revoke a token of the caller's workspace at once: from the commit on, every request with it is a 401 (a server
 * that resolved it in the last seconds lets go of it when the NOTIFY it sends arrives, which also makes every
 * server close the streams and runner connections opened with it). 404 for a
 * token of another workspace. The admin token cannot be revoked (it is the operator's way in), and a
 * shared-pool token only by the admin, who issued it.
 */
export async function revokeTokenOf(pool: Pool, caller: TokenCaller, id: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    const t = await getToken(client, caller.workspaceId, id);
    if (!t) throw notFound("token", id);
    if (t.admin) throw new ShipyardError("admin_token", "the admin token cannot be revoked through the API", 409);
    if (t.shared && !caller.isAdmin) throw new ShipyardError("forbidden", "only the admin token may revoke a shared-pool runner token", 403, { requiredRole: "admin" });
    if (!(await revokeToken(client, caller.workspaceId, id))) throw notFound("token", id);
  });
}
