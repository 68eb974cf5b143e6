import type { Pool, Queryable } from "../db/pool.ts";
import type { EventInput, EventType, StoredEvent } from "./catalogue.ts";

/** Also hard-coded in shipyard_append_events (src/db/migrations/003_fast_paths.sql). */
export const EVENTS_CHANNEL = "shipyard_events";

export type { EventInput, EventType, StoredEvent } from "./catalogue.ts";

interface EventRow {
  operation_id: string;
  seq: number;
  type: EventType;
  payload: Record<string, unknown>;
  created_at: Date;
}

// Rows are written only through the typed appends below, so a row's payload is its type's.
const toEvent = (r: EventRow): StoredEvent =>
  ({ operationId: r.operation_id, seq: r.seq, type: r.type, payload: r.payload, time: r.created_at.toISOString() }) as StoredEvent;

/**
 * Append events inside the caller's transaction, in one round trip (`shipyard_append_events`, migration
 * 003): the operation row lock makes sequence numbers gap-free under concurrent writers, events whose dedupe
 * key the operation already has are dropped before numbering, and NOTIFY is delivered only when the
 * transaction commits, so a subscriber never hears of an event it cannot read yet.
 */
export async function appendEvents(client: Queryable, operationId: string, events: EventInput[]): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  const res = await client.query<EventRow>(
    `select operation_id, seq, type, payload, created_at
     from shipyard_append_events($1, $2::text[], $3::jsonb[], $4::text[])`,
    appendEventsParams(operationId, events),
  );
  return res.rows.map(toEvent);
}

/** Parameters of shipyard_append_events, in order: operation, types, payloads (JSON text), dedupe keys. */
export function appendEventsParams(operationId: string, events: EventInput[]): unknown[] {
  return [operationId, events.map((e) => e.type), events.map((e) => JSON.stringify(e.payload)), events.map((e) => e.dedupeKey ?? null)];
}

/**
 * Append events in a transaction of their own. The append is a single statement, so it is atomic by itself
 * (lock, insert, last_seq and NOTIFY commit together) and needs no BEGIN/COMMIT round trips.
 */
export function appendEventsNow(pool: Pool, operationId: string, events: EventInput[]): Promise<StoredEvent[]> {
  return appendEvents(pool, operationId, events);
}

/**
 * Append one batch of log events that may arrive more than once (a runner sends a batch again until it is
 * acknowledged): stored only when the operation does not have `batchKey` yet, in one round trip
 * (`shipyard_append_log_batch`, migration 007). Resolves to the events stored (none for a repeat).
 */
export async function appendLogBatch(db: Queryable, operationId: string, batchKey: string, events: EventInput[]): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  const [op, types, payloads] = appendEventsParams(operationId, events);
  const res = await db.query<EventRow>(
    `select operation_id, seq, type, payload, created_at
     from shipyard_append_log_batch($1, $2, $3::text[], $4::jsonb[])`,
    [op, batchKey, types, payloads],
  );
  return res.rows.map(toEvent);
}

/** Events of an operation with seq > `since`, oldest first. */
export async function readEvents(db: Queryable, operationId: string, since: number, limit = 1000): Promise<StoredEvent[]> {
  const res = await db.query<EventRow>(
    `select operation_id, seq, type, payload, created_at from events
     where operation_id = $1 and seq > $2 order by seq limit $3`,
    [operationId, since, limit],
  );
  return res.rows.map(toEvent);
}

/** The seq of an operation's last event stored at or before `time` (0: none), so a poller that gives a time resumes after it. */
export async function seqAtTime(db: Queryable, operationId: string, time: Date): Promise<number> {
  const res = await db.query<{ seq: number | null }>("select max(seq)::int as seq from events where operation_id = $1 and created_at <= $2", [operationId, time]);
  return res.rows[0]?.seq ?? 0;
}

/** The last `limit` log lines of one step attempt of an operation, oldest first. */
export async function lastLogLines(db: Queryable, operationId: string, stepId: string, attempt: number, limit: number): Promise<string[]> {
  const res = await db.query<{ line: string }>(
    `select payload->>'line' as line from events
     where operation_id = $1 and type = 'log' and payload->>'stepId' = $2 and (payload->>'attempt')::int = $3
     order by seq desc limit $4`,
    [operationId, stepId, attempt, limit],
  );
  return res.rows.map((r) => r.line).reverse();
}
