import type { Pool } from "./pool.ts";

/** Advisory-lock keys Shipyard holds across processes (db/migrate.ts has its own, 7420_0001). */
export const LOCKS = {
  /**
   * DBOS's launch: on a fresh database it creates its system schema, and two processes doing that at once
   * (a server and a worker started together) fail with a duplicate-key error on the catalogue.
   */
  dbosLaunch: 7420_0003,
} as const;

const RETRY_MS = 100;

/**
 * Run `fn` while holding a session advisory lock: one process at a time, whichever connection `fn` uses.
 * The lock is tried, not waited for: a session waiting inside a statement is an open transaction, which a
 * `CREATE INDEX CONCURRENTLY` in the holder's `fn` (DBOS's migrations have some) would wait for in turn.
 */
export async function withAdvisoryLock<T>(pool: Pool, key: number, fn: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    while (!(await client.query<{ ok: boolean }>("select pg_try_advisory_lock($1) as ok", [key])).rows[0]?.ok) {
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
    try {
      return await fn();
    } finally {
      await client.query("select pg_advisory_unlock($1)", [key]);
    }
  } finally {
    client.release();
  }
}
