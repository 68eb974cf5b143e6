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

// SQLSTATEs of a database that is not there (shutting down, starting, refusing connections) or a connection lost.
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006", "53300", "55000"]);
const UNAVAILABLE_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "ENOENT", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH"]);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|is not currently accepting connections|the database system is (starting up|shutting down)/i;

/** True when `err` says the database cannot be reached right now (as opposed to a query it refused). */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code))) return code !== "55000" || UNAVAILABLE_MESSAGES.test(err.message);
  return UNAVAILABLE_MESSAGES.test(err.message);
}
