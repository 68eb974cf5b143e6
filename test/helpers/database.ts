import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { ensureDatabase } from "../../src/db/embedded.ts";

/**
 * A fresh database on the test run's PostgreSQL; returns its URL. `migrated`: a copy of one with Shipyard's
 * migrations and DBOS's system schema applied (test/global-setup.ts), for files that do not test migrating.
 */
export async function freshDatabase(prefix = "t", opts: { migrated?: boolean } = {}): Promise<string> {
  const admin = inject("pgAdminUrl");
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  if (opts.migrated) {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(`create database "${name}" template "${inject("pgMigratedTemplate")}"`);
    } finally {
      await client.end();
    }
  } else {
    await ensureDatabase(admin, name);
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}
