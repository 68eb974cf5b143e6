import type { Queryable } from "../db/pool.ts";

/** Advisory-lock class of executor ids (the two-key form: apart from the migration lock's single key). */
const EXECUTOR_LOCK_CLASS = 7420_0002;

/** A worker's row, as `shipyard` shows and tests read it. */
export interface WorkerRow {
  executorId: string;
  status: "running" | "stopped" | "dead";
  incarnation: string;
  pid: number | null;
  host: string | null;
  heartbeatAt: Date;
  claimedBy: string | null;
  recoveredAt: Date | null;
  recoveredWorkflows: number | null;
}

/** Who this process is: its executor id and this start's incarnation. */
export interface Self {
  executorId: string;
  incarnation: string;
}

const interval = (ms: number) => ms / 1000;

/**
 * Take the executor id's advisory lock on this session, or false when another session holds it (a live
 * process with that id, or a worker recovering it). Held until released or the session ends: a process killed
 * with -9 loses it the moment PostgreSQL sees its connection close.
 */
export async function tryLockExecutor(db: Queryable, executorId: string): Promise<boolean> {
  const res = await db.query<{ locked: boolean }>("select pg_try_advisory_lock($1, hashtext($2)) as locked", [EXECUTOR_LOCK_CLASS, executorId]);
  return res.rows[0]?.locked === true;
}

/** Release a lock tryLockExecutor took on this session. */
export async function unlockExecutor(db: Queryable, executorId: string): Promise<void> {
  await db.query("select pg_advisory_unlock($1, hashtext($2))", [EXECUTOR_LOCK_CLASS, executorId]);
}

/** A new process takes its executor's row (holding its lock, so no other process has it): running, beating now. */
export async function joinAsWorker(db: Queryable, self: Self, pid: number, host: string): Promise<void> {
  await db.query(
    `insert into workers (executor_id, status, incarnation, pid, host) values ($1, 'running', $2, $3, $4)
     on conflict (executor_id) do update set status = 'running', incarnation = $2, pid = $3, host = $4, started_at = now(),
       heartbeat_at = now(), beating_since = now(), stopped_at = null, claimed_by = null, claimed_at = null,
       recovered_at = null, recovered_workflows = null`,
    [self.executorId, self.incarnation, pid, host],
  );
}

/**
 * One heartbeat; false when the row is no longer this process's and running (its workflows were handed to
 * another worker, or another process took the id): the caller must stop executing. A beat after a gap longer
 * than `gapMs` starts a new unbroken run.
 */
export async function beat(db: Queryable, self: Self, gapMs: number): Promise<boolean> {
  const res = await db.query(
    `update workers set heartbeat_at = now(),
       beating_since = case when heartbeat_at < now() - make_interval(secs => $3) then now() else beating_since end
     where executor_id = $1 and incarnation = $2 and status = 'running'`,
    [self.executorId, self.incarnation, interval(gapMs)],
  );
  return (res.rowCount ?? 0) === 1;
}

/**
 * Claim the workers whose pending workflows should be recovered now: running ones silent for `deadAfterMs`,
 * stopped ones, and earlier claims whose claimant has not finished within `deadAfterMs`. Only a worker that has
 * itself been beating without a break for `deadAfterMs` claims anything (after an outage that every worker
 * saw, each gets the time to beat again first). Concurrent claimers serialise on the row: one wins.
 */
export async function claimDeadWorkers(db: Queryable, self: Self, deadAfterMs: number, gapMs: number): Promise<string[]> {
  const res = await db.query<{ executor_id: string }>(
    `update workers d set status = case when d.status = 'running' then 'dead' else d.status end, claimed_by = $1, claimed_at = now()
     where d.executor_id <> $1 and d.recovered_at is null
       and ((d.status = 'running' and d.heartbeat_at < now() - make_interval(secs => $3))
         or (d.status <> 'running' and (d.claimed_at is null or d.claimed_at < now() - make_interval(secs => $3))))
       and exists (select 1 from workers me where me.executor_id = $1 and me.incarnation = $2 and me.status = 'running'
         and me.heartbeat_at > now() - make_interval(secs => $4) and me.beating_since <= now() - make_interval(secs => $3))
     returning d.executor_id`,
    [self.executorId, self.incarnation, interval(deadAfterMs), interval(gapMs)],
  );
  return res.rows.map((r) => r.executor_id);
}

/** Undo a claim on a worker that turned out to be alive (its lock is held): it is running again. */
export async function releaseClaim(db: Queryable, self: Self, executorId: string): Promise<void> {
  await db.query(
    `update workers set status = case when status = 'dead' then 'running' else status end, claimed_by = null, claimed_at = null
     where executor_id = $1 and claimed_by = $2 and recovered_at is null`,
    [executorId, self.executorId],
  );
}

/** Record that a claimed worker's pending workflows were handed back to the queues. */
export async function markRecovered(db: Queryable, self: Self, executorId: string, workflows: number): Promise<void> {
  await db.query("update workers set recovered_at = now(), recovered_workflows = $3 where executor_id = $1 and claimed_by = $2", [
    executorId,
    self.executorId,
    workflows,
  ]);
}

/** A clean stop: stopped, so a live worker hands its pending workflows over at once. */
export async function markStopped(db: Queryable, self: Self): Promise<void> {
  await db.query("update workers set status = 'stopped', stopped_at = now() where executor_id = $1 and incarnation = $2 and status = 'running'", [
    self.executorId,
    self.incarnation,
  ]);
}

/** The row of one executor id. */
export async function getWorker(db: Queryable, executorId: string): Promise<WorkerRow | null> {
  const res = await db.query<WorkerRow>(
    `select executor_id as "executorId", status, incarnation, pid, host, heartbeat_at as "heartbeatAt", claimed_by as "claimedBy",
            recovered_at as "recoveredAt", recovered_workflows as "recoveredWorkflows"
     from workers where executor_id = $1`,
    [executorId],
  );
  return res.rows[0] ?? null;
}
