// One delivery attempt: check the URL again, sign, POST through the outbound client, and record what happened.
import { inTransaction, type Pool } from "../db/pool.ts";
import type { Logger } from "../logger.ts";
import type { OutboundClient } from "../net/outbound-client.ts";
import type { SecretStore } from "../secrets/store.ts";
import { secretContext, signedHeaders } from "./signing.ts";
import { deliveryTarget, disableEndpoint, settleDelivery, upsertAttempt } from "./store.ts";

/** How long a receiver has to answer (the spec suggests 15 to 30 s). */
export const ATTEMPT_TIMEOUT_MS = 15_000;

/** What an attempt needs. */
export interface AttemptDeps {
  pool: Pool;
  secrets: SecretStore;
  outbound: OutboundClient;
  log: Logger;
}

/** How an attempt ended: settled (delivered, failed), to be tried again, or not ours to make (stale). */
export type AttemptOutcome =
  | { outcome: "delivered" | "failed" | "stale" }
  | { outcome: "retry"; status: number | null; retryAfter: string | null };

/** Why a POST failed, in words safe to store and show (no response body, no URL beyond what the user gave). */
function failureText(err: unknown): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s`;
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === "string") return `connection failed (${cause.code})`;
  if (cause && typeof cause.message === "string") return cause.message.slice(0, 300);
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}

/**
 * Attempt `attempt` of round `round` of a delivery. A 2xx settles it delivered; 410 disables the endpoint and
 * fails it; anything else fails it on the `last` attempt and asks for another otherwise. A delivery that was
 * deleted, settled or redelivered meanwhile is left alone. Run as a checkpointed step: a crash before the
 * checkpoint repeats the POST (the receiver deduplicates on webhook-id) and overwrites the attempt's row.
 */
export async function attemptDelivery(deps: AttemptDeps, deliveryId: string, round: number, attempt: number, last: boolean): Promise<AttemptOutcome> {
  const target = await deliveryTarget(deps.pool, deliveryId);
  if (!target || target.round !== round || target.status !== "pending") return { outcome: "stale" };
  if (target.disabled_at) {
    await settleDelivery(deps.pool, deliveryId, round, "failed", "the endpoint is disabled");
    return { outcome: "failed" };
  }
  const startedAt = new Date();
  const t0 = performance.now();
  let status: number | null = null;
  let retryAfter: string | null = null;
  let error: string | null = null;
  try {
    // Checked at each attempt: the host may resolve elsewhere now, or the policy may have changed.
    await deps.outbound.check(target.url, "the webhook url");
    const secret = deps.secrets.unseal(target.secret_ciphertext, secretContext(target.workspace_id, target.endpoint_id));
    const res = await deps.outbound.fetch(target.url, {
      method: "POST",
      headers: { ...signedHeaders(secret, deliveryId, startedAt, target.body), "content-type": "application/json", "user-agent": "Shipyard-Webhooks/1" },
      body: target.body,
      redirect: "manual",
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    status = res.status;
    retryAfter = res.headers.get("retry-after");
    // The receiver's body is never read, stored or shown.
    await res.body?.cancel().catch(() => undefined);
  } catch (err) {
    error = failureText(err);
  }
  const durationMs = Math.round(performance.now() - t0);
  const ok = status !== null && status >= 200 && status < 300;
  const gone = status === 410;
  const outcome = ok ? "delivered" : gone || last ? "failed" : "retry";
  const what = error ?? `HTTP ${status}`;
  await inTransaction(deps.pool, async (c) => {
    await upsertAttempt(c, { delivery_id: deliveryId, round, attempt, started_at: startedAt, duration_ms: durationMs, response_status: status, error });
    if (gone) await disableEndpoint(c, target.endpoint_id, "the receiver answered 410 Gone");
    if (outcome === "delivered") await settleDelivery(c, deliveryId, round, "delivered", null);
    if (outcome === "failed") {
      await settleDelivery(c, deliveryId, round, "failed", gone ? "the receiver answered 410 Gone; the endpoint is disabled" : `gave up after ${attempt} attempts (last: ${what})`);
    }
  });
  if (!ok) deps.log.warn({ deliveryId, attempt, round, status, error }, "webhook attempt failed");
  return outcome === "retry" ? { outcome, status, retryAfter } : { outcome };
}
