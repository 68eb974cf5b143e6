// Recently resolved bearer tokens (./token-cache.ts), on a fresh database with a real LISTEN connection: asked
// for again within seconds they cost no query, and a revocation (by this process or, by NOTIFY, another) ends them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countingPool, workspace } from "../../test/helpers/core.ts";
import { freshDatabase } from "../../test/helpers/database.ts";
import { createPool, type Pool } from "../db/pool.ts";
import { Notifier } from "../events/notifier.ts";
import { createLogger } from "../logger.ts";
import { insertToken, revokeToken } from "../tokens/store.ts";
import { Revocations } from "./revocations.ts";
import { TokenCache } from "./token-cache.ts";

let url: string;
let pool: Pool;
let notifier: Notifier;
let ws: string;
beforeAll(async () => {
  url = await freshDatabase("token-cache", { migrated: true });
  pool = createPool(url, 4);
  notifier = new Notifier(url, createLogger("silent"));
  await notifier.start();
  ws = await workspace(pool);
});
afterAll(async () => {
  await notifier?.stop();
  await pool?.end();
});

async function cacheWithRevocations(db: Pool): Promise<{ cache: TokenCache; revocations: Revocations }> {
  const revocations = new Revocations(db, createLogger("silent"));
  await revocations.start(notifier);
  return { cache: new TokenCache(db, revocations), revocations };
}

describe("TokenCache", () => {
  it("resolves a token once for many requests, refuses an unknown one every time, and lets go of one revoked here at once", async () => {
    const db = countingPool(pool, /from api_tokens where token_hash/);
    const { cache, revocations } = await cacheWithRevocations(db);
    const { token, record: { id } } = await insertToken(pool, { workspaceId: ws, name: "c1", role: "member" });
    for (let i = 0; i < 5; i++) expect(await cache.resolve(token)).toMatchObject({ workspaceId: ws, tokenId: id, role: "member" });
    expect(db.statements).toBe(1);
    expect(await cache.resolve("shp_not_a_token")).toBeNull();
    expect(await cache.resolve("shp_not_a_token")).toBeNull();
    expect(db.statements).toBe(3);

    await revokeToken(pool, ws, id);
    revocations.revokedHere(id);
    expect(await cache.resolve(token)).toBeNull();
  });

  it("lets go of a token another process revoked when its NOTIFY arrives", async () => {
    const { cache } = await cacheWithRevocations(pool);
    const { token, record: { id } } = await insertToken(pool, { workspaceId: ws, name: "c2", role: "owner" });
    expect(await cache.resolve(token)).not.toBeNull();
    await revokeToken(pool, ws, id); // as another server would: only its NOTIFY reaches this one
    const deadline = Date.now() + 5000;
    while ((await cache.resolve(token)) !== null) {
      if (Date.now() > deadline) throw new Error("the revoked token is still believed");
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});
