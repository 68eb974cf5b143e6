import { describe, expect, it } from "vitest";
import { createPool, isDatabaseUnavailable } from "../db/pool.ts";
import { freePort } from "../db/embedded.ts";
import { createLogger } from "../logger.ts";
import { loadConfig } from "../config.ts";
import { createOutboundClient } from "../net/outbound-client.ts";
import { SecretBox } from "../secrets/box.ts";
import { createSecretStore } from "../secrets/store.ts";
import { createApp } from "./app.ts";
import { Metrics } from "./metrics.ts";
import { RecordingWorkflows } from "../../test/helpers/workflows.ts";

describe("with the database away", () => {
  it("answers 503 database_unavailable with Retry-After on the API, its event streams and /metrics", async () => {
    // A pool on a port nothing listens on: every query fails to connect, as with PostgreSQL stopped.
    const pool = createPool(`postgres://postgres:x@127.0.0.1:${await freePort()}/none`, 2, () => undefined);
    const app = createApp({
      pool,
      workflows: new RecordingWorkflows(),
      hub: null,
      log: createLogger("silent"),
      metrics: new Metrics(pool),
      secrets: createSecretStore(pool, new SecretBox(Buffer.alloc(32))),
      outbound: createOutboundClient(loadConfig({}).urls),
      heartbeatMs: 15_000,
      isReady: () => true,
    });
    const auth = { authorization: "Bearer shp_whatever" };
    for (const [path, init] of [
      ["/api/v1/runs", { headers: auth }],
      ["/api/v1/operations/run_x/events", { headers: { ...auth, accept: "text/event-stream" } }],
      ["/api/v1/runs", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ workflow: "name: x" }) }],
      ["/metrics", {}],
    ] as const) {
      const res = await app.request(path, init);
      expect(res.status, path).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.json()).toMatchObject({ status: 503, code: "database_unavailable" });
    }
    expect((await app.request("/readyz")).status).toBe(503);
    await pool.end();
  });

  it("tells an unreachable database from a query it refused", () => {
    const errno = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const shutdown = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
    const refused = Object.assign(new Error('database "t" is not currently accepting connections'), { code: "55000" });
    const syntax = Object.assign(new Error('syntax error at or near "selec"'), { code: "42601" });
    const other55000 = Object.assign(new Error("cannot do that in this state"), { code: "55000" });
    expect([errno, shutdown, refused, new Error("Connection terminated unexpectedly")].map(isDatabaseUnavailable)).toEqual([true, true, true, true]);
    expect([syntax, other55000, new Error("boom"), "ECONNREFUSED"].map(isDatabaseUnavailable)).toEqual([false, false, false, false]);
  });
});
