// The webhook_endpoints, webhook_deliveries and webhook_attempts tables (migration 013): every statement that
// reads or writes them. Every read the API makes names the workspace.
import type { Queryable } from "../db/pool.ts";

/** An endpoint as the API shows it (never its secret). */
export interface EndpointRow {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  created_at: Date;
}

/** A delivery as the API shows it. */
export interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_type: string;
  status: "pending" | "delivered" | "failed";
  round: number;
  error: string | null;
  created_at: Date;
  updated_at: Date;
}

/** One recorded attempt. */
export interface AttemptRow {
  delivery_id: string;
  round: number;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  response_status: number | null;
  error: string | null;
}

/** What an attempt needs: the delivery, its body, and its endpoint's URL and encrypted secret. */
export interface DeliveryTarget {
  id: string;
  workspace_id: string;
  endpoint_id: string;
  status: DeliveryRow["status"];
  round: number;
  body: string;
  url: string;
  secret_ciphertext: string;
  disabled_at: Date | null;
}

const ENDPOINT_COLUMNS = "id, url, events, description, disabled_at, disabled_reason, created_at";
const DELIVERY_COLUMNS = "id, endpoint_id, event_type, status, round, error, created_at, updated_at";

/** Store a new endpoint. */
export async function insertEndpoint(
  db: Queryable,
  e: { id: string; workspaceId: string; url: string; events: string[]; description: string | null; secretCiphertext: string },
): Promise<EndpointRow> {
  const res = await db.query<EndpointRow>(
    `insert into webhook_endpoints (id, workspace_id, url, events, description, secret_ciphertext)
     values ($1, $2, $3, $4, $5, $6) returning ${ENDPOINT_COLUMNS}`,
    [e.id, e.workspaceId, e.url, e.events, e.description, e.secretCiphertext],
  );
  return res.rows[0]!;
}

/** A workspace's endpoints, oldest first. */
export async function listEndpoints(db: Queryable, workspaceId: string): Promise<EndpointRow[]> {
  const res = await db.query<EndpointRow>(`select ${ENDPOINT_COLUMNS} from webhook_endpoints where workspace_id = $1 order by created_at, id`, [workspaceId]);
  return res.rows;
}

/** One endpoint of a workspace, or null. */
export async function getEndpoint(db: Queryable, workspaceId: string, id: string): Promise<EndpointRow | null> {
  const res = await db.query<EndpointRow>(`select ${ENDPOINT_COLUMNS} from webhook_endpoints where workspace_id = $1 and id = $2`, [workspaceId, id]);
  return res.rows[0] ?? null;
}

/** Delete an endpoint and its deliveries; true when there was one. */
export async function deleteEndpoint(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
  const res = await db.query("delete from webhook_endpoints where workspace_id = $1 and id = $2", [workspaceId, id]);
  return (res.rowCount ?? 0) > 0;
}

/** The enabled endpoints of a workspace subscribed to `type` (or to everything). */
/** True when any workspace has an endpoint that is not disabled. */
export async function anyLiveEndpoint(db: Queryable): Promise<boolean> {
  const res = await db.query<{ any: boolean }>("select exists (select 1 from webhook_endpoints where disabled_at is null) as any");
  return res.rows[0]?.any === true;
}

export async function subscribedEndpointIds(db: Queryable, workspaceId: string, type: string): Promise<string[]> {
  const res = await db.query<{ id: string }>(
    `select id from webhook_endpoints
     where workspace_id = $1 and disabled_at is null and ($2 = any(events) or '*' = any(events)) order by id`,
    [workspaceId, type],
  );
  return res.rows.map((r) => r.id);
}

/**
 * One delivery of the event `key` per endpoint (ids[i] for endpointIds[i]); an endpoint that has one already
 * keeps it. Returns every delivery of `key` to those endpoints, new and old.
 */
export async function insertDeliveries(
  db: Queryable,
  d: { workspaceId: string; key: string; type: string; body: string; endpointIds: string[]; ids: string[] },
): Promise<string[]> {
  const res = await db.query<{ id: string }>(
    `with new as (
       insert into webhook_deliveries (id, endpoint_id, workspace_id, event_key, event_type, body)
       select u.id, u.endpoint_id, $1, $2, $3, $4 from unnest($5::text[], $6::text[]) as u(id, endpoint_id)
       on conflict (endpoint_id, event_key) do nothing
       returning id
     )
     select id from new
     union
     select id from webhook_deliveries where event_key = $2 and endpoint_id = any($6::text[])
     order by id`,
    [d.workspaceId, d.key, d.type, d.body, d.ids, d.endpointIds],
  );
  return res.rows.map((r) => r.id);
}

/** The delivery `id` with what an attempt needs, or null when it (or its endpoint) was deleted. */
export async function deliveryTarget(db: Queryable, id: string): Promise<DeliveryTarget | null> {
  const res = await db.query<DeliveryTarget>(
    `select d.id, d.workspace_id, d.endpoint_id, d.status, d.round, d.body, e.url, e.secret_ciphertext, e.disabled_at
     from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id where d.id = $1`,
    [id],
  );
  return res.rows[0] ?? null;
}

/** Record an attempt (a repeated one replaces its own row). */
export async function upsertAttempt(db: Queryable, a: AttemptRow): Promise<void> {
  await db.query(
    `insert into webhook_attempts (delivery_id, round, attempt, started_at, duration_ms, response_status, error)
     values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (delivery_id, round, attempt) do update set started_at = excluded.started_at,
       duration_ms = excluded.duration_ms, response_status = excluded.response_status, error = excluded.error`,
    [a.delivery_id, a.round, a.attempt, a.started_at, a.duration_ms, a.response_status, a.error],
  );
}

/** Settle a pending delivery of round `round` as delivered or failed; false when it was not pending in that round. */
export async function settleDelivery(db: Queryable, id: string, round: number, status: "delivered" | "failed", error: string | null): Promise<boolean> {
  const res = await db.query(
    "update webhook_deliveries set status = $3, error = $4, updated_at = now() where id = $1 and round = $2 and status = 'pending'",
    [id, round, status, error],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Disable an endpoint (it answered 410 Gone): it is sent nothing more. */
export async function disableEndpoint(db: Queryable, id: string, reason: string): Promise<void> {
  await db.query("update webhook_endpoints set disabled_at = coalesce(disabled_at, now()), disabled_reason = coalesce(disabled_reason, $2) where id = $1", [id, reason]);
}

/** The newest deliveries of an endpoint of a workspace. */
export async function listDeliveries(db: Queryable, workspaceId: string, endpointId: string, limit: number): Promise<DeliveryRow[]> {
  const res = await db.query<DeliveryRow>(
    `select ${DELIVERY_COLUMNS} from webhook_deliveries where workspace_id = $1 and endpoint_id = $2 order by created_at desc, id desc limit $3`,
    [workspaceId, endpointId, limit],
  );
  return res.rows;
}

/** The attempts of these deliveries, in order. */
export async function attemptsOf(db: Queryable, deliveryIds: string[]): Promise<AttemptRow[]> {
  const res = await db.query<AttemptRow>(
    `select delivery_id, round, attempt, started_at, duration_ms, response_status, error from webhook_attempts
     where delivery_id = any($1::text[]) order by delivery_id, round, attempt`,
    [deliveryIds],
  );
  return res.rows;
}

/** Lock a delivery of a workspace for a redelivery; null when it is not there. */
export async function lockDelivery(db: Queryable, workspaceId: string, id: string): Promise<DeliveryRow | null> {
  const res = await db.query<DeliveryRow>(`select ${DELIVERY_COLUMNS} from webhook_deliveries where workspace_id = $1 and id = $2 for update`, [workspaceId, id]);
  return res.rows[0] ?? null;
}

/** Begin the next round of attempts of a (locked, settled) delivery; returns that round. */
export async function beginRound(db: Queryable, id: string): Promise<number> {
  const res = await db.query<{ round: number }>(
    "update webhook_deliveries set round = round + 1, status = 'pending', error = null, updated_at = now() where id = $1 returning round",
    [id],
  );
  return res.rows[0]!.round;
}
