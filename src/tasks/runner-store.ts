// The `runners` table: every statement that reads or writes it. A runner is registered (or re-registered by
// name) when it connects, is online while it answers pings, and offline after.
import type { Queryable } from "../db/pool.ts";
import type { RunnerStatus } from "../domain/statuses.ts";
import type { Sandbox } from "../runner/protocol.ts";

/** A runner as the API lists it, with the number of tasks it holds. */
export interface RunnerRow {
  id: string;
  name: string;
  labels: string[];
  slots: number;
  status: RunnerStatus;
  workspace_id: string | null;
  sandbox: Sandbox;
  active: number;
  connected_at: Date | null;
  last_seen_at: Date | null;
}

/** Register a connecting runner online under its name (a known name keeps its id); returns its id. */
export async function registerRunner(
  db: Queryable,
  r: { id: string; workspaceId: string | null; name: string; labels: string[]; slots: number; serverId: string; version: string; sandbox: string },
): Promise<string> {
  const row = await db.query<{ id: string }>(
    `insert into runners (id, workspace_id, name, labels, slots, status, server_id, version, sandbox, connected_at, last_seen_at)
     values ($1, $2, $3, $4, $5, 'online', $6, $7, $8, now(), now())
     on conflict (coalesce(workspace_id, ''), name) do update set labels = excluded.labels, slots = excluded.slots,
       status = 'online', server_id = excluded.server_id, version = excluded.version, sandbox = excluded.sandbox,
       connected_at = now(), last_seen_at = now(), missed_pings = 0
     returning id`,
    [r.id, r.workspaceId, r.name, JSON.stringify(r.labels), r.slots, r.serverId, r.version, r.sandbox],
  );
  return row.rows[0]!.id;
}

/** A runner answered a ping. */
export async function touchRunner(db: Queryable, id: string): Promise<void> {
  await db.query("update runners set last_seen_at = now(), missed_pings = 0 where id = $1", [id]);
}

/** A runner's connection to `serverId` closed: offline at once (another server's newer connection is left alone). */
export async function disconnectRunner(db: Queryable, id: string, serverId: string): Promise<void> {
  await db.query("update runners set status = 'offline', last_seen_at = now() where id = $1 and server_id = $2", [id, serverId]);
}

/** Record a runner's unanswered pings in a row. */
export async function recordMissedPings(db: Queryable, id: string, missed: number): Promise<void> {
  await db.query("update runners set missed_pings = $2 where id = $1", [id, missed]);
}

/** A runner missed too many pings: offline. */
export async function markRunnerOffline(db: Queryable, id: string, missed: number): Promise<void> {
  await db.query("update runners set status = 'offline', missed_pings = $2 where id = $1", [id, missed]);
}

/** Runners silent for longer than `silenceMs` go offline. */
export async function markSilentRunnersOffline(db: Queryable, silenceMs: number): Promise<void> {
  await db.query(
    `update runners set status = 'offline'
     where status = 'online' and last_seen_at < now() - make_interval(secs => $1::float / 1000)`,
    [silenceMs],
  );
}

/** Lock a runner (its workspace and status); null when unknown. */
export async function lockRunner(db: Queryable, id: string): Promise<{ workspace_id: string | null; status: string } | null> {
  const runner = await db.query<{ workspace_id: string | null; status: string }>("select workspace_id, status from runners where id = $1 for update", [id]);
  return runner.rows[0] ?? null;
}

/** Ids of the online runners. */
export async function onlineRunnerIds(db: Queryable): Promise<string[]> {
  return (await db.query<{ id: string }>("select id from runners where status = 'online'")).rows.map((r) => r.id);
}

/** The online runner that may serve a workspace and has the fewest active tasks (its own runners first), or null. */
export async function leastBusyRunner(db: Queryable, workspaceId: string): Promise<string | null> {
  const res = await db.query<{ id: string }>(
    `select r.id from runners r where r.status = 'online' and (r.workspace_id is null or r.workspace_id = $1)
     order by (select count(*) from tasks t where t.runner_id = r.id and t.status = 'assigned'), r.workspace_id is null, r.connected_at limit 1`,
    [workspaceId],
  );
  return res.rows[0]?.id ?? null;
}

/** The runners that may serve a workspace (its own and the shared pool), by name, with their active tasks. */
export async function runnersOfWorkspace(db: Queryable, workspaceId: string): Promise<RunnerRow[]> {
  const res = await db.query<RunnerRow>(
    `select r.*, (select count(*) from tasks t where t.runner_id = r.id and t.status = 'assigned')::int as active
     from runners r where r.workspace_id is null or r.workspace_id = $1 order by r.name`,
    [workspaceId],
  );
  return res.rows;
}

/** Id, name and status of the runners that may serve a workspace, by name. */
export async function runnerNamesOfWorkspace(db: Queryable, workspaceId: string): Promise<{ id: string; name: string; status: string }[]> {
  const runners = await db.query<{ id: string; name: string; status: string }>(
    "select id, name, status from runners where workspace_id is null or workspace_id = $1 order by name",
    [workspaceId],
  );
  return runners.rows;
}

/** Runners by connection status. */
export async function countRunnersByStatus(db: Queryable): Promise<{ status: string; n: number }[]> {
  return (await db.query<{ status: string; n: number }>("select status, count(*)::int as n from runners group by status")).rows;
}
