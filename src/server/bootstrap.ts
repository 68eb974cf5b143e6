import { promises as fs } from "node:fs";
import path from "node:path";
import { inTransaction, type Pool, type PoolClient } from "../db/pool.ts";
import { newId } from "../domain/ids.ts";
import { findLiveToken, insertToken, type TokenIdentity } from "../tokens/store.ts";
import { ensureWorkspace } from "../workspaces/store.ts";

export const DEFAULT_WORKSPACE = "default";

/** A token kept in a mode-600 file of the data dir. */
export interface TokenFile {
  token: string;
  file: string;
}

/**
 * The first start creates the `default` workspace and an admin token, written to `<dataDir>/admin-token`
 * (mode 600); later starts reuse the token when the database still knows it, and issue a new one otherwise.
 */
export function ensureAdminToken(pool: Pool, dataDir: string): Promise<TokenFile> {
  return ensureTokenFile(pool, path.join(dataDir, "admin-token"), 7420002, (t) => t.isAdmin, (client, workspaceId) =>
    insertToken(client, { workspaceId, name: "admin", role: "owner", isAdmin: true }),
  );
}

/**
 * The local runner's own credential: a shared-pool runner token (it may connect as a runner and nothing
 * else), kept in `<dataDir>/runner-token` (mode 600) and reused across restarts like the admin token, so the
 * admin token never has to leave the server process.
 */
export function ensureRunnerToken(pool: Pool, dataDir: string): Promise<TokenFile> {
  return ensureTokenFile(pool, path.join(dataDir, "runner-token"), 7420003, (t) => t.role === "runner" && t.shared && !t.isAdmin, (client, workspaceId) =>
    insertToken(client, { workspaceId, name: "local runner", role: "runner", shared: true }),
  );
}

async function ensureTokenFile(
  pool: Pool,
  file: string,
  lock: number,
  fits: (t: TokenIdentity) => boolean,
  issue: (client: PoolClient, defaultWorkspaceId: string) => Promise<{ token: string }>,
): Promise<TokenFile> {
  const existing = (await fs.readFile(file, "utf8").catch(() => "")).trim();
  return inTransaction(pool, async (client) => {
    await client.query("select pg_advisory_xact_lock($1)", [lock]);
    if (existing) {
      const known = await findLiveToken(client, existing);
      if (known && fits(known)) return { token: existing, file };
    }
    const { token } = await issue(client, await ensureWorkspace(client, newId("ws"), DEFAULT_WORKSPACE));
    await fs.writeFile(file, token + "\n", { mode: 0o600 });
    await fs.chmod(file, 0o600);
    return { token, file };
  });
}

/** The admin token kept in the data dir, or "" before the first start. */
export async function readAdminTokenFile(dataDir: string): Promise<string> {
  return (await fs.readFile(path.join(dataDir, "admin-token"), "utf8").catch(() => "")).trim();
}

/**
 * Remove from `env` every variable that carries one of `tokens` (and SHIPYARD_TOKEN, which `shipyard up`
 * never reads): children inherit their parent's environment, and a token the user exported for the CLI must
 * not travel into the embedded PostgreSQL, the local runner or any step.
 */
export function scrubTokens(env: NodeJS.ProcessEnv, tokens: string[]): void {
  for (const [name, value] of Object.entries(env)) {
    if (name === "SHIPYARD_TOKEN" || (value !== undefined && tokens.some((t) => t !== "" && value.includes(t)))) delete env[name];
  }
}
