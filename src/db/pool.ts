import pg from "pg";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that can run a query: the pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, "query">;

// BIGINT (sequence numbers, counts) fits a JS number for every value Shipyard produces.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/** A connection pool whose idle-client errors are logged rather than crashing the process. */
export function createPool(url: string, max = 20, onError?: (err: Error) => void): Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on("error", (err) => onError?.(err));
  return pool;
}

/** Run `fn` in a transaction; rolled back when it throws. */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    const result = await fn(client);
    await client.query("commit");
    return result;
  } catch (err) {
    await client.query("rollback").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

// Which errors mean the database is away is the errors module's to say (it tells retryable from terminal).
export { isDatabaseUnavailable } from "../domain/errors.ts";
