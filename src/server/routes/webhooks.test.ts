// The webhook routes in memory (app.request(), no engine): secrets shown once, bad input refused without a
// change, the outbound URL rules, roles, workspace isolation, and what a redelivery starts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInMemoryApp, type InMemoryApp } from "../../../test/helpers/in-memory-app.ts";
import { createWorkspace } from "../auth.ts";

let app: InMemoryApp;
let viewer: string;
let other: { id: string; token: string };
// A public address literal: it passes the URL rules without a DNS lookup (nothing is sent here: no engine).
const PUBLIC_URL = "https://93.184.215.14/hooks/shipyard";

beforeAll(async () => {
  app = await startInMemoryApp("webhooks");
  viewer = (await app.api("POST", "/tokens", { name: "looker", role: "viewer" })).body.token;
  other = await createWorkspace(app.pool, `webhooks-other-${Date.now()}`);
});
afterAll(async () => {
  await app?.close();
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });

async function tableCounts(): Promise<unknown> {
  const { rows } = await app.pool.query(
    "select (select count(*) from webhook_endpoints)::int as endpoints, (select count(*) from webhook_deliveries)::int as deliveries, (select count(*) from webhook_attempts)::int as attempts",
  );
  return rows[0];
}

/** A settled delivery of `endpointId`, stored as a delivery workflow would have left it. */
async function settledDelivery(endpointId: string, workspaceId: string, status: "delivered" | "pending" = "delivered"): Promise<string> {
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  await app.pool.query(
    "insert into webhook_deliveries (id, endpoint_id, workspace_id, event_key, event_type, body, status) values ($1, $2, $3, $1, 'run.completed', '{}', $4)",
    [id, endpointId, workspaceId, status],
  );
  return id;
}

describe("the webhook routes", () => {
  it("creates an endpoint and shows its whsec_ secret once: never in GET, stored only encrypted", async () => {
    const created = await app.api("POST", "/webhooks", { url: PUBLIC_URL, events: ["run.completed", "build.completed"], description: "ci" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: PUBLIC_URL, events: ["run.completed", "build.completed"], description: "ci", enabled: true });
    expect(created.body.id).toMatch(/^whk_/);
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const list = await app.api("GET", "/webhooks");
    expect(list.status).toBe(200);
    expect(list.body.webhooks.find((w: { id: string }) => w.id === created.body.id)).toMatchObject({ url: PUBLIC_URL, enabled: true });
    const bare = secret.slice("whsec_".length);
    expect(JSON.stringify(list.body)).not.toContain(bare);
    expect(JSON.stringify(list.body)).not.toContain("secret");
    const deliveries = await app.api("GET", `/webhooks/${created.body.id}/deliveries`);
    expect(deliveries).toMatchObject({ status: 200, body: { deliveries: [] } });
    const { rows } = await app.pool.query("select to_jsonb(w)::text as row from webhook_endpoints w where id = $1", [created.body.id]);
    expect(rows[0].row).not.toContain(bare);
  });

  it("answers bad input with a 400 (or 422 for a URL the rules refuse) and stores nothing", async () => {
    const before = await tableCounts();
    const bad: [unknown, number, string][] = [
      [{ url: PUBLIC_URL, events: ["run.exploded"] }, 400, "invalid_request"],
      [{ url: PUBLIC_URL, events: [] }, 400, "invalid_request"],
      [{ url: PUBLIC_URL }, 400, "invalid_request"],
      [{ events: ["*"] }, 400, "invalid_request"],
      [{ url: PUBLIC_URL, events: ["*"], secret: "whsec_mine" }, 400, "invalid_request"],
      [{ url: PUBLIC_URL, events: "run.completed" }, 400, "invalid_request"],
      ["not json", 400, "invalid_request"],
      [{ url: "not a url", events: ["*"] }, 422, "url_not_allowed"],
      [{ url: "ftp://93.184.215.14/x", events: ["*"] }, 422, "url_not_allowed"],
      [{ url: "http://93.184.215.14/x", events: ["*"] }, 422, "url_not_allowed"],
      [{ url: "https://127.0.0.1:9/x", events: ["*"] }, 422, "url_not_allowed"],
      [{ url: "https://169.254.169.254/latest", events: ["*"] }, 422, "url_not_allowed"],
      [{ url: "https://10.0.0.5/x", events: ["*"] }, 422, "url_not_allowed"],
    ];
    for (const [body, status, code] of bad) {
      const res = await app.api("POST", "/webhooks", body);
      expect({ body, status: res.status, code: res.body?.code }).toEqual({ body, status, code });
    }
    expect(await tableCounts()).toEqual(before);
  });

  it("lets a viewer read but not manage; another workspace's endpoint and delivery are 404", async () => {
    const mine = (await app.api("POST", "/webhooks", { url: PUBLIC_URL, events: ["*"] })).body;
    expect((await app.api("POST", "/webhooks", { url: PUBLIC_URL, events: ["*"] }, as(viewer))).status).toBe(403);
    expect((await app.api("DELETE", `/webhooks/${mine.id}`, undefined, as(viewer))).status).toBe(403);
    expect((await app.api("GET", "/webhooks", undefined, as(viewer))).status).toBe(200);
    expect((await app.api("GET", `/webhooks/${mine.id}/deliveries`, undefined, as(viewer))).status).toBe(200);
    const delivery = await settledDelivery(mine.id, app.workspaceId);
    expect((await app.api("POST", `/deliveries/${delivery}/redeliver`, undefined, as(viewer))).status).toBe(403);

    const before = await tableCounts();
    for (const [method, route] of [
      ["GET", `/webhooks/${mine.id}/deliveries`],
      ["DELETE", `/webhooks/${mine.id}`],
      ["POST", `/deliveries/${delivery}/redeliver`],
    ] as const) {
      const res = await app.api(method, route, undefined, as(other.token));
      expect({ route, status: res.status, code: res.body.code }).toEqual({ route, status: 404, code: "not_found" });
    }
    expect((await app.api("GET", "/webhooks", undefined, as(other.token))).body.webhooks).toEqual([]);
    expect(await tableCounts()).toEqual(before);
    expect((await app.api("GET", `/webhooks/${mine.id}/deliveries`)).body.deliveries).toHaveLength(1);
  });

  it("redelivers a settled delivery as round 2 on the webhooks queue (workflow id: delivery id and round); 409 while pending", async () => {
    const hook = (await app.api("POST", "/webhooks", { url: PUBLIC_URL, events: ["run.completed"] })).body;
    const done = await settledDelivery(hook.id, app.workspaceId);
    const res = await app.api("POST", `/deliveries/${done}/redeliver`);
    expect(res).toMatchObject({ status: 202, body: { id: done, round: 2 } });
    expect(app.workflows.calls.at(-1)).toEqual({ op: "start", name: "shipyard.webhook-delivery", options: { queue: "shipyard-webhooks", workflowId: `${done}:round-2` }, args: [done, 2] });
    const [delivery] = (await app.api("GET", `/webhooks/${hook.id}/deliveries`)).body.deliveries;
    expect(delivery).toMatchObject({ id: done, status: "pending", round: 2 });

    const calls = app.workflows.calls.length;
    const again = await app.api("POST", `/deliveries/${done}/redeliver`);
    expect(again).toMatchObject({ status: 409, body: { code: "delivery_pending" } });
    expect(app.workflows.calls).toHaveLength(calls);
  });

  it("deletes an endpoint with its deliveries", async () => {
    const hook = (await app.api("POST", "/webhooks", { url: PUBLIC_URL, events: ["*"] })).body;
    await settledDelivery(hook.id, app.workspaceId);
    expect((await app.api("DELETE", `/webhooks/${hook.id}`)).status).toBe(204);
    expect((await app.api("GET", `/webhooks/${hook.id}/deliveries`)).status).toBe(404);
    expect((await app.api("DELETE", `/webhooks/${hook.id}`)).status).toBe(404);
    expect((await app.pool.query("select count(*)::int as n from webhook_deliveries where endpoint_id = $1", [hook.id])).rows[0].n).toBe(0);
  });
});
