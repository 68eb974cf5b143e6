// Cancelling a run while its llm step waits on the model aborts the call itself: the provider's connection is
// closed at once rather than left to finish (and be ignored).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";

let s: TestShipyard;
let hanging: http.Server;
const requests: { closedAt: number | null }[] = [];

beforeAll(async () => {
  // A provider that never answers, and notes when the caller hangs up.
  hanging = http.createServer((req) => {
    const r = { closedAt: null as number | null };
    requests.push(r);
    req.resume();
    req.socket.on("close", () => (r.closedAt = Date.now()));
  });
  await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
  process.env.HANGING_BASE_URL = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/v1`;
  s = await startTestShipyard({ localRunner: false });
});
afterAll(async () => {
  await s?.stop();
  hanging.closeAllConnections();
  await new Promise((resolve) => hanging.close(resolve));
  delete process.env.HANGING_BASE_URL;
});

describe("llm step cancel", () => {
  it("aborts the model call in flight and ends the run cancelled", async () => {
    const created = await s.api("POST", "/runs", {
      workflow: "name: slow\nsteps:\n  - id: ask\n    llm: { model: openai-compatible:hanging:some-model, prompt: hello }\n",
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await waitFor(async () => requests.length > 0, 15_000, "the model call");
    expect(requests[0]!.closedAt).toBeNull();
    const cancelledAt = Date.now();
    expect((await s.api("POST", `/runs/${id}/cancel`)).status).toBe(202);
    const run = await waitFor(async () => {
      const r = await s.api("GET", `/runs/${id}`);
      return ["succeeded", "failed", "cancelled"].includes(r.body.status) ? r.body : null;
    }, 15_000);
    expect(run.status).toBe("cancelled");
    expect(run.steps[0]).toMatchObject({ id: "ask", status: "cancelled" });
    const closedAt = await waitFor(async () => requests[0]!.closedAt, 10_000, "the provider connection to close");
    expect(closedAt).toBeGreaterThanOrEqual(cancelledAt);
    expect(requests).toHaveLength(1);
  }, 60_000);
});
