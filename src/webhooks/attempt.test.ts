// attemptDelivery called directly on a fresh database against a loopback receiver (no engine): what one
// attempt records, that repeating it (a crash before its checkpoint) records it once, and that the URL rules
// are applied again at delivery time.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, workspace } from "../../test/helpers/core.ts";
import { RecordingWorkflows } from "../../test/helpers/workflows.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../test/helpers/webhook-receiver.ts";
import type { Pool } from "../db/pool.ts";
import { createLogger } from "../logger.ts";
import { createOutboundClient } from "../net/outbound-client.ts";
import { SecretBox } from "../secrets/box.ts";
import { createSecretStore, type SecretStore } from "../secrets/store.ts";
import { attemptDelivery } from "./attempt.ts";
import { createWebhook, listWebhookDeliveries } from "./service.ts";
import { insertDeliveries } from "./store.ts";

let pool: Pool;
let secrets: SecretStore;
let ws: string;
let receiver: WebhookReceiver;
const loopback = createOutboundClient({ allowPrivate: true, allowedHttpHosts: ["127.0.0.1"], allowLocalRepos: true });
const strict = createOutboundClient({ allowPrivate: false, allowedHttpHosts: ["127.0.0.1"], allowLocalRepos: true });
const log = createLogger("silent");

beforeAll(async () => {
  pool = await coreDatabase("whattempt");
  secrets = createSecretStore(pool, new SecretBox(randomBytes(32)));
  ws = await workspace(pool);
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await pool?.end();
});

/** An endpoint at the receiver with one pending delivery; returns their ids. */
async function pending(): Promise<{ endpointId: string; deliveryId: string }> {
  const hook = await createWebhook({ pool, secrets, outbound: loopback, workflows: new RecordingWorkflows() }, ws, { url: receiver.url, events: ["*"] });
  receiver.secret = hook.secret;
  const [deliveryId] = await insertDeliveries(pool, {
    workspaceId: ws, key: `k-${hook.id}`, type: "run.completed", body: JSON.stringify({ type: "run.completed", timestamp: new Date().toISOString(), data: { n: 1 } }),
    endpointIds: [hook.id], ids: [`msg_${randomBytes(6).toString("hex")}`],
  });
  return { endpointId: hook.id, deliveryId: deliveryId! };
}

describe("one delivery attempt", () => {
  it("records an attempt once however often it is repeated, and a settled delivery is not sent again", async () => {
    const { endpointId, deliveryId } = await pending();
    receiver.respond(500, 500);
    const deps = { pool, secrets, outbound: loopback, log };
    expect(await attemptDelivery(deps, deliveryId, 1, 1, false)).toEqual({ outcome: "retry", status: 500, retryAfter: null });
    expect(await attemptDelivery(deps, deliveryId, 1, 1, false)).toMatchObject({ outcome: "retry" });
    expect(await attemptDelivery(deps, deliveryId, 1, 2, false)).toEqual({ outcome: "delivered" });
    const before = receiver.received.length;
    expect(await attemptDelivery(deps, deliveryId, 1, 3, false)).toEqual({ outcome: "stale" });
    expect(receiver.received).toHaveLength(before);
    const [d] = await listWebhookDeliveries(pool, ws, endpointId, 10);
    expect(d!.attempts.map((a) => [a.attempt, a.responseStatus])).toEqual([[1, 500], [2, 200]]);
    expect(receiver.received.slice(-3).every((r) => r.id === deliveryId && r.verified !== null)).toBe(true);
  });

  it("checks the URL again when it delivers: refused by the policy now, nothing is sent and the attempt says why", async () => {
    const { endpointId, deliveryId } = await pending();
    const before = receiver.received.length;
    expect(await attemptDelivery({ pool, secrets, outbound: strict, log }, deliveryId, 1, 1, true)).toEqual({ outcome: "failed" });
    expect(receiver.received).toHaveLength(before);
    const [d] = await listWebhookDeliveries(pool, ws, endpointId, 10);
    expect(d!.status).toBe("failed");
    expect(d!.attempts[0]!.responseStatus).toBeNull();
    expect(d!.attempts[0]!.error).toMatch(/not allowed: 127\.0\.0\.1 is a loopback address/);
  });

  it("a connection refused is an attempt with an error, not a crash", async () => {
    const dead = await startWebhookReceiver();
    await dead.close();
    const hook = await createWebhook({ pool, secrets, outbound: loopback, workflows: new RecordingWorkflows() }, ws, { url: dead.url, events: ["*"] });
    const [id] = await insertDeliveries(pool, { workspaceId: ws, key: "dead", type: "job.failed", body: "{}", endpointIds: [hook.id], ids: ["msg_dead"] });
    expect(await attemptDelivery({ pool, secrets, outbound: loopback, log }, id!, 1, 1, false)).toEqual({ outcome: "retry", status: null, retryAfter: null });
    const [d] = await listWebhookDeliveries(pool, ws, hook.id, 10);
    expect(d!.attempts[0]!.error).toBe("connection failed (ECONNREFUSED)");
  });
});
