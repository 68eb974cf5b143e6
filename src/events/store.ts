import { z } from "zod";
import { inTransaction, type Pool, type PoolClient, type Queryable } from "../db/pool.ts";

export const EVENTS_CHANNEL = "shipyard_events";

export const EventType = z.enum(["status", "step", "stage", "log", "output", "complete", "error"]);
export type EventType = z.infer<typeof EventType>;

/** An event as produced: appended to an operation's log. */
export interface EventInput {
  type: EventType;
  payload: Record<string, unknown>;
  /** Makes the append idempotent: a second event with the same key on the same operation is dropped. */
  dedupeKey?: string;
}

/** An event as stored: numbered per operation, gap-free from 1. */
export interface StoredEvent {
  operationId: string;
  seq: number;
  type: EventType;
  payload: Record<string, unknown>;
  time: string;
}

interface EventRow {
  operation_id: string;
  seq: number;
  type: EventType;
  payload: Record<string, unknown>;
  created_at: Date;
}

const toEvent = (r: EventRow): StoredEvent => ({
  operationId: r.operation_id,
  seq: r.seq,
  type: r.type,
  payload: r.payload,
  time: r.created_at.toISOString(),
});

/**
 * Append events inside the caller's transaction. The operation row lock makes sequence numbers gap-free
 * under concurrent writers; NOTIFY is delivered only when the transaction commits, so a subscriber never
 * hears of an event it cannot read yet.
 */
export async function appendEvents(client: PoolClient, operationId: string, events: EventInput[]): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  const locked = await client.query<{ last_seq: number }>("select last_seq from operations where id = $1 for update", [
    operationId,
  ]);
  const row = locked.rows[0];
  if (!row) throw new Error(`operation ${operationId} does not exist`);
  const keys = events.map((e) => e.dedupeKey).filter((k): k is string => k !== undefined);
  let fresh = events;
  if (keys.length > 0) {
    const seen = await client.query<{ dedupe_key: string }>(
      "select dedupe_key from events where operation_id = $1 and dedupe_key = any($2::text[])",
      [operationId, keys],
    );
    const dup = new Set(seen.rows.map((r) => r.dedupe_key));
    fresh = events.filter((e) => e.dedupeKey === undefined || !dup.has(e.dedupeKey));
  }
  if (fresh.length === 0) return [];
  const first = row.last_seq + 1;
  const inserted = await client.query<EventRow>(
    `insert into events (operation_id, seq, type, payload, dedupe_key)
     select $1, $2::bigint + i.ord - 1, i.type, i.payload, i.dedupe_key
     from unnest($3::text[], $4::jsonb[], $5::text[]) with ordinality as i(type, payload, dedupe_key, ord)
     returning operation_id, seq, type, payload, created_at`,
    [operationId, first, fresh.map((e) => e.type), fresh.map((e) => JSON.stringify(e.payload)), fresh.map((e) => e.dedupeKey ?? null)],
  );
  const last = first + fresh.length - 1;
  await client.query("update operations set last_seq = $2 where id = $1", [operationId, last]);
  await client.query("select pg_notify($1, $2)", [EVENTS_CHANNEL, `${operationId}:${last}`]);
  return inserted.rows.map(toEvent);
}

/** Append events in a transaction of their own. */
export function appendEventsNow(pool: Pool, operationId: string, events: EventInput[]): Promise<StoredEvent[]> {
  return inTransaction(pool, (client) => appendEvents(client, operationId, events));
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
