// The cached answer to "is any webhook endpoint live?", kept current by the endpoints table's NOTIFY, on a fresh
// database with a real LISTEN connection.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countingPool, workspace } from "../../test/helpers/core.ts";
import { freshDatabase } from "../../test/helpers/database.ts";
import { createPool, type Pool } from "../db/pool.ts";
import { Notifier } from "../events/notifier.ts";
import { createLogger } from "../logger.ts";
import { LiveEndpoints } from "./live-endpoints.ts";

let url: string;
let pool: Pool;
let notifier: Notifier;
beforeAll(async () => {
  url = await freshDatabase("live-endpoints", { migrated: true });
  pool = createPool(url, 4);
  notifier = new Notifier(url, createLogger("silent"));
  await notifier.start();
});
afterAll(async () => {
  await notifier?.stop();
  await pool?.end();
});

/** Until `check` holds (a NOTIFY takes a moment), at most 5 s. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 5000; !(await check()); ) {
    if (Date.now() > deadline) throw new Error("never became true");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("LiveEndpoints", () => {
  it("reads once, then answers from memory until an endpoint is added, disabled or deleted anywhere", async () => {
    const db = countingPool(pool);
    const live = new LiveEndpoints(db);
    await live.listen(notifier);
    expect(await live.any()).toBe(false);
    expect(await live.any()).toBe(false);
    expect(db.statements).toBe(1);

    // Written on another connection, as another process would.
    const ws = await workspace(pool);
    await pool.query("insert into webhook_endpoints (id, workspace_id, url, events, secret_ciphertext) values ('we_1', $1, 'https://example.com/h', '{*}', 'x')", [ws]);
    await eventually(() => live.any());
    expect(db.statements).toBeGreaterThan(1);

    await pool.query("update webhook_endpoints set disabled_at = now() where id = 'we_1'");
    await eventually(async () => !(await live.any()));
    await pool.query("update webhook_endpoints set disabled_at = null where id = 'we_1'");
    await eventually(() => live.any());
    await pool.query("delete from webhook_endpoints where id = 'we_1'");
    await eventually(async () => !(await live.any()));
  });

  it("asks the database every time while it does not listen", async () => {
    const db = countingPool(pool);
    const live = new LiveEndpoints(db);
    await live.any();
    await live.any();
    expect(db.statements).toBe(2);
  });
});
