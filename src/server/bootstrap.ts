import { promises as fs } from "node:fs";
import path from "node:path";
import { inTransaction, type Pool } from "../db/pool.ts";
import { newId } from "../domain/ids.ts";
import { hashToken, issueToken } from "./auth.ts";

export const DEFAULT_WORKSPACE = "default";

/**
 * The first start creates the `default` workspace and an admin token, written to `<dataDir>/admin-token`
 * (mode 600); later starts reuse the token when the database still knows it, and issue a new one otherwise.
 */
export async function ensureAdminToken(pool: Pool, dataDir: string): Promise<{ token: string; file: string }> {
  const file = path.join(dataDir, "admin-token");
  const existing = (await fs.readFile(file, "utf8").catch(() => "")).trim();
  return inTransaction(pool, async (client) => {
    await client.query("select pg_advisory_xact_lock(7420002)");
    if (existing) {
      const known = await client.query("select 1 from api_tokens where token_hash = $1 and is_admin", [hashToken(existing)]);
      if (known.rowCount) return { token: existing, file };
    }
    await client.query("insert into workspaces (id, name) values ($1, $2) on conflict (name) do nothing", [newId("ws"), DEFAULT_WORKSPACE]);
    const ws = await client.query<{ id: string }>("select id from workspaces where name = $1", [DEFAULT_WORKSPACE]);
    const token = await issueToken(client, ws.rows[0]!.id, "admin", true);
    await fs.writeFile(file, token + "\n", { mode: 0o600 });
    await fs.chmod(file, 0o600);
    return { token, file };
  });
}
