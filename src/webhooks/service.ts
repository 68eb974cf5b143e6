// Webhook endpoints, their deliveries, and emitting an event to them. Kind-free: builds, runs and jobs each
// call emitWebhookEvent with their own event type and data.
import type { LiveEndpoints } from "./live-endpoints.ts";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { inTransaction, type Pool } from "../db/pool.ts";
import { notFound, ShipyardError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import type { WorkflowControl } from "../engine/control.ts";
import { WEBHOOKS_QUEUE } from "../engine/queues.ts";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import type { OutboundClient } from "../net/outbound-client.ts";
import type { SecretStore } from "../secrets/store.ts";
import { deliveryWorkflowId, WEBHOOK_DELIVERY_WORKFLOW } from "./delivery.ts";
import type { WebhookEventType, WebhookSubscription } from "./events.ts";
import { newSigningSecret, secretContext } from "./signing.ts";
import * as store from "./store.ts";

/** What the endpoint routes need. */
export interface WebhookDeps {
  pool: Pool;
  secrets: SecretStore;
  outbound: OutboundClient;
  workflows: WorkflowControl;
}

/** An endpoint as the API shows it. */
export interface EndpointView {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  createdAt: string;
}

/** A delivery and its attempts. */
export interface DeliveryView {
  id: string;
  endpointId: string;
  type: string;
  status: store.DeliveryRow["status"];
  round: number;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  attempts: { round: number; attempt: number; at: string; durationMs: number; responseStatus: number | null; error: string | null }[];
}

function endpointView(r: store.EndpointRow): EndpointView {
  return {
    id: r.id,
    url: r.url,
    events: r.events,
    description: r.description,
    enabled: r.disabled_at === null,
    disabledReason: r.disabled_reason,
    createdAt: r.created_at.toISOString(),
  };
}

/** Create an endpoint (its URL checked against the outbound URL rules); its secret is in this answer only. */
export async function createWebhook(
  deps: WebhookDeps,
  workspaceId: string,
  input: { url: string; events: WebhookSubscription[]; description?: string },
): Promise<EndpointView & { secret: string }> {
  await deps.outbound.check(input.url, "url");
  const id = newId("whk");
  const secret = newSigningSecret();
  const row = await store.insertEndpoint(deps.pool, {
    id,
    workspaceId,
    url: input.url,
    events: [...new Set(input.events)],
    description: input.description ?? null,
    secretCiphertext: deps.secrets.seal(secret, secretContext(workspaceId, id)),
  });
  return { ...endpointView(row), secret };
}

/** A workspace's endpoints (without secrets). */
export async function listWebhooks(pool: Pool, workspaceId: string): Promise<EndpointView[]> {
  return (await store.listEndpoints(pool, workspaceId)).map(endpointView);
}

/** Delete an endpoint and its deliveries (their workflows find nothing left to send); 404 when not in the workspace. */
export async function deleteWebhook(pool: Pool, workspaceId: string, id: string): Promise<void> {
  if (!(await store.deleteEndpoint(pool, workspaceId, id))) throw notFound("webhook", id);
}

/** An endpoint's newest deliveries with their attempts; 404 when the endpoint is not in the workspace. */
export async function listWebhookDeliveries(pool: Pool, workspaceId: string, endpointId: string, limit: number): Promise<DeliveryView[]> {
  if (!(await store.getEndpoint(pool, workspaceId, endpointId))) throw notFound("webhook", endpointId);
  const rows = await store.listDeliveries(pool, workspaceId, endpointId, limit);
  const attempts = await store.attemptsOf(pool, rows.map((r) => r.id));
  return rows.map((r) => ({
    id: r.id,
    endpointId: r.endpoint_id,
    type: r.event_type,
    status: r.status,
    round: r.round,
    error: r.error,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    attempts: attempts
      .filter((a) => a.delivery_id === r.id)
      .map((a) => ({ round: a.round, attempt: a.attempt, at: a.started_at.toISOString(), durationMs: a.duration_ms, responseStatus: a.response_status, error: a.error })),
  }));
}

/** Send a settled delivery again: the same webhook-id, a fresh sequence of attempts. 409 while it is pending. */
export async function redeliverWebhook(deps: WebhookDeps, workspaceId: string, deliveryId: string): Promise<{ id: string; round: number }> {
  const round = await inTransaction(deps.pool, async (c) => {
    const d = await store.lockDelivery(c, workspaceId, deliveryId);
    if (!d) throw notFound("delivery", deliveryId);
    if (d.status === "pending") throw new ShipyardError("delivery_pending", `delivery ${deliveryId} is still being attempted; redeliver it once it has settled`, 409);
    return store.beginRound(c, deliveryId);
  });
  // On the webhooks queue: the server may run no workflows itself, and sleeping deliveries must not fill the runs queue.
  await deps.workflows.start(WEBHOOK_DELIVERY_WORKFLOW, { queue: WEBHOOKS_QUEUE, workflowId: deliveryWorkflowId(deliveryId, round) }, deliveryId, round);
  return { id: deliveryId, round };
}

/** An event to deliver: `key` identifies it for good (e.g. `<operationId>:completed`), so emitting it again sends nothing new. */
export interface WebhookEvent {
  workspaceId: string;
  type: WebhookEventType;
  data: Record<string, unknown>;
  key: string;
}

/**
 * Deliver an event to every enabled endpoint of its workspace subscribed to its type: one checkpointed step
 * stores one delivery per endpoint (body `{type, timestamp, data}`; an endpoint that has this key already
 * keeps its delivery), then one delivery workflow per delivery is started, its id the delivery's, so a
 * replay or a second emit starts nothing twice. Call it from workflow code, not inside a step (DBOS starts
 * no workflow from a step); returns the delivery ids. `event` may be a function that reads it (null: no
 * event), so that reading it is part of the same step. `last`: the workflow's last call (see below).
 */
export async function emitWebhookEvent(
  res: { pool: Pool; workflows: WorkflowControl; liveEndpoints?: LiveEndpoints },
  event: WebhookEvent | (() => Promise<WebhookEvent | null>),
  opts: { last?: boolean } = {},
): Promise<string[]> {
  // Most installations have no endpoint, and every finished run would pay a checkpointed step for nothing. When this
  // is the workflow's last call the check need not be recorded: a replay that now finds no endpoint only skips steps
  // nothing follows, and one that now finds one runs them afresh. Anywhere else skipping would shift the steps after it.
  if (opts.last && !(await (res.liveEndpoints?.any() ?? store.anyLiveEndpoint(res.pool)))) return [];
  const ids = await DBOS.runStep(
    async () => {
      const e = typeof event === "function" ? await event() : event;
      if (!e) return [];
      const endpointIds = await store.subscribedEndpointIds(res.pool, e.workspaceId, e.type);
      if (endpointIds.length === 0) return [];
      const body = JSON.stringify({ type: e.type, timestamp: new Date().toISOString(), data: e.data });
      return store.insertDeliveries(res.pool, { workspaceId: e.workspaceId, key: e.key, type: e.type, body, endpointIds, ids: endpointIds.map(() => newId("msg")) });
    },
    { name: "webhooks", ...TRANSIENT_RETRIES },
  );
  // Started at once in this process (a queue would add its poll to every delivery's latency); its status row
  // is written first, so a crash still recovers it.
  for (const id of ids) await res.workflows.start(WEBHOOK_DELIVERY_WORKFLOW, { workflowId: deliveryWorkflowId(id, 1) }, id, 1);
  return ids;
}
