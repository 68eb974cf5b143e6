// Webhooks through real `shipyard up` processes: a real run's completion is delivered signed to a receiver on
// loopback; a kill -9 while the delivery waits for its next attempt neither loses nor doubles it; the CLI.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.ts";
import { killGroup, reservePorts, startUp, type UpProcess } from "./helpers/process.ts";
import { waitFor } from "./helpers/shipyard.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./helpers/webhook-receiver.ts";

const procs: UpProcess[] = [];
let receiver: WebhookReceiver | null = null;
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) await killGroup(p).catch(() => undefined);
  await receiver?.close();
});

async function api(p: UpProcess, method: string, route: string, body?: unknown): Promise<any> {
  const res = await fetch(`${p.url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${p.token}`, "content-type": "application/json", accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.status === 204 ? null : res.json();
}

// Loopback receivers are allowed as in the other outbound tests; two attempts, 4 s apart.
const ENV = { SHIPYARD_ALLOW_PRIVATE_URLS: "true", SHIPYARD_ALLOWED_HTTP_HOSTS: "127.0.0.1", SHIPYARD_WEBHOOK_RETRY_SCHEDULE: "0,4" };

// The restarted process and what it delivered, for the CLI test.
let second: UpProcess;
let hook: { id: string; secret: string };
let delivered: { id: string; attempts: { attempt: number; responseStatus: number }[] };

describe("webhooks through shipyard up", () => {
  it("a run's completion is delivered signed; kill -9 during the wait before the retry: after a restart it is delivered once, the same webhook-id", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-webhooks-"));
    const ports = await reservePorts();
    const first = await startUp(dataDir, ports, ENV);
    procs.push(first);
    receiver = await startWebhookReceiver();
    hook = await api(first, "POST", "/webhooks", { url: receiver.url, events: ["run.completed"] });
    receiver.secret = hook.secret;
    receiver.respond(500);

    const run = await api(first, "POST", "/runs", { workflow: "name: hi\nsteps:\n  - id: a\n    run: echo hi\n" });
    const [failedOnce] = await waitFor(async () => {
      const { deliveries } = await api(first, "GET", `/webhooks/${hook.id}/deliveries`);
      return deliveries[0]?.attempts.length === 1 ? deliveries : null;
    }, 60_000, "the first attempt");
    expect(failedOnce).toMatchObject({ type: "run.completed", status: "pending", attempts: [{ attempt: 1, responseStatus: 500 }] });
    // Well inside the 4 s wait: the attempt's checkpoint is written just after its row.
    await new Promise((r) => setTimeout(r, 1000));
    await killGroup(first);

    second = await startUp(dataDir, ports, ENV);
    procs.push(second);
    [delivered] = await waitFor(async () => {
      const { deliveries } = await api(second, "GET", `/webhooks/${hook.id}/deliveries`);
      return deliveries[0]?.status === "delivered" ? deliveries : null;
    }, 60_000, "the delivery after the restart");
    expect((await api(second, "GET", `/webhooks/${hook.id}/deliveries`)).deliveries).toHaveLength(1);
    expect(delivered.attempts.map((a) => [a.attempt, a.responseStatus])).toEqual([[1, 500], [2, 200]]);
    expect(receiver.received.map((r) => r.id)).toEqual([delivered.id, delivered.id]);
    expect(receiver.received[1]!.verified).toMatchObject({ type: "run.completed", data: { runId: run.id, workflow: "hi", status: "succeeded" } });
  }, 180_000);

  it("the CLI lists endpoints without their secrets, shows deliveries, redelivers, and refuses an unknown event type", async () => {
    if (!receiver) throw new Error("needs the first test's receiver");
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.tmpdir(), SHIPYARD_URL: second.url, SHIPYARD_TOKEN: second.token, NO_COLOR: "1" };
    const listed = await runCli(["webhooks", "list"], { env });
    expect(listed.stdout).toContain(hook.id);
    expect(listed.stdout).not.toContain(hook.secret.slice("whsec_".length));
    expect((await runCli(["webhooks", "deliveries", hook.id], { env })).stdout).toMatch(new RegExp(`${delivered.id} +run\\.completed +delivered +2 +200`));
    expect((await runCli(["webhooks", "redeliver", delivered.id], { env })).stdout).toContain("round 2");
    await waitFor(async () => receiver!.received.length === 3, 30_000, "the redelivery");
    expect(receiver.received[2]!.id).toBe(delivered.id);
    const refused = await runCli(["webhooks", "add", receiver.url, "--events", "run.exploded"], { env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("events.0");
    const added = JSON.parse((await runCli(["webhooks", "add", receiver.url, "--events", "job.failed,run.failed", "--json"], { env })).stdout);
    expect(added).toMatchObject({ events: ["job.failed", "run.failed"], enabled: true });
    expect(added.secret).toMatch(/^whsec_/);
  }, 120_000);
});
