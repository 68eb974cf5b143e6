// The middle test tier: Shipyard's core functions (advance, claim, place, lock, flush) called directly on a
// fresh migrated database, with no engine, server or runner process.
import { newId } from "../../src/domain/ids.ts";
import { migrate } from "../../src/db/migrate.ts";
import { createPool, type Pool } from "../../src/db/pool.ts";
import { storeRun } from "../../src/runs/service.ts";
import { freshDatabase } from "./database.ts";

/** A pool on a fresh migrated database. */
export async function coreDatabase(prefix: string): Promise<Pool> {
  const pool = createPool(await freshDatabase(prefix, { migrated: true }), 8);
  await migrate(pool);
  return pool;
}

/** A new workspace (with `defaultModel` as its default model, if given); returns its id. */
export async function workspace(pool: Pool, defaultModel: string | null = null): Promise<string> {
  const id = newId("ws");
  await pool.query("insert into workspaces (id, name, default_model) values ($1, $1, $2)", [id, defaultModel]);
  return id;
}

/** An online runner of the workspace (null: the shared pool) with `slots` slots; returns its id. */
export async function onlineRunner(pool: Pool, workspaceId: string | null, slots = 1, name = newId("r")): Promise<string> {
  const id = newId("rnr");
  await pool.query(
    "insert into runners (id, workspace_id, name, slots, status, connected_at, last_seen_at) values ($1, $2, $3, $4, 'online', now(), now())",
    [id, workspaceId, name, slots],
  );
  return id;
}

/** A pending run of `workflow` (YAML), stored as POST /runs stores it; returns its id. */
export async function pendingRun(pool: Pool, workspaceId: string, workflow: string, inputs: Record<string, unknown> = {}): Promise<string> {
  return (await storeRun(pool, { workspaceId, source: workflow, inputs })).id;
}

/** Everything an advance may change of an operation, in a stable order (times left out: they are the clock's). */
export async function operationState(pool: Pool, id: string): Promise<unknown> {
  const q = async (sql: string) => (await pool.query(sql, [id])).rows;
  return {
    operation: await q("select status, error, started_at is not null as started, finished_at is not null as finished, last_seq from operations where id = $1"),
    run: await q("select outputs, cancel_requested_at is not null as cancel_requested from runs where id = $1"),
    steps: await q("select step_id, status, attempt, outputs, exit_code, error, runner_id, started_at is not null as started, finished_at is not null as finished from run_steps where run_id = $1 order by position"),
    tasks: await q("select id, status, dispatch, runner_id, attempt, spec, result from tasks where operation_id = $1 order by id"),
    events: await q("select seq, type, payload from events where operation_id = $1 order by seq"),
  };
}

/** The error a query gets when the database connection is lost under it. */
export function connectionLost(): Error {
  return new Error("Connection terminated unexpectedly");
}

/**
 * `pool`, except that the first `times` queries whose text matches `pattern` (on the pool or on a connection it
 * hands out) fail as if the database had gone away; a transaction's is rolled back as it would be.
 */
export function flakyPool(pool: Pool, pattern: RegExp, times = 1): Pool & { failures: number } {
  let left = times;
  const state = { failures: 0 };
  const failing = (query: (...args: unknown[]) => Promise<unknown>) => (...args: unknown[]) => {
    const text = typeof args[0] === "string" ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? "");
    if (left > 0 && pattern.test(text)) {
      left -= 1;
      state.failures += 1;
      return Promise.reject(connectionLost());
    }
    return query(...args);
  };
  const connect = async () => {
    const client = await pool.connect();
    const query = failing(client.query.bind(client) as (...args: unknown[]) => Promise<unknown>);
    return new Proxy(client, { get: (target, prop, receiver) => (prop === "query" ? query : Reflect.get(target, prop, receiver)) });
  };
  const query = failing(pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>);
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === "connect") return connect;
      if (prop === "query") return query;
      if (prop === "failures") return state.failures;
      return Reflect.get(target, prop, receiver);
    },
  }) as Pool & { failures: number };
}

/** `p`, counting the statements sent through its `query` that match `pattern` (all by default). */
export function countingPool(p: Pool, pattern = /./): Pool & { statements: number } {
  const c = Object.create(p) as Pool & { statements: number };
  c.statements = 0;
  c.query = ((...args: Parameters<Pool["query"]>) => {
    if (pattern.test(String(args[0]))) c.statements += 1;
    return p.query(...args);
  }) as Pool["query"];
  return c;
}
