// useToken called directly on a fresh database (the middle test tier).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, workspace } from "../../test/helpers/core.ts";
import type { Pool } from "../db/pool.ts";
import { insertToken, useToken } from "./store.ts";

let pool: Pool;
beforeAll(async () => {
  pool = await coreDatabase("tokens");
});
afterAll(async () => {
  await pool?.end();
});

describe("useToken", () => {
  it("marks a token used at most once a minute, and finds no revoked or unknown token", async () => {
    const ws = await workspace(pool);
    const { record, token } = await insertToken(pool, { workspaceId: ws, name: "t", role: "member" });
    const lastUsed = async () => (await pool.query<{ at: Date | null }>("select last_used_at as at from api_tokens where id = $1", [record.id])).rows[0]!.at;
    const ago = (seconds: number) => pool.query("update api_tokens set last_used_at = now() - make_interval(secs => $2) where id = $1", [record.id, seconds]);

    expect(await lastUsed()).toBeNull();
    expect(await useToken(pool, token)).toEqual({ id: record.id, workspaceId: ws, role: "member", shared: false, isAdmin: false });
    expect(await lastUsed()).not.toBeNull();
    await ago(30);
    const recent = await lastUsed();
    await useToken(pool, token);
    expect(await lastUsed()).toEqual(recent); // marked 30 s ago: only read
    await ago(90);
    const old = await lastUsed();
    await useToken(pool, token);
    expect((await lastUsed())!.getTime()).toBeGreaterThan(old!.getTime());

    await pool.query("update api_tokens set revoked_at = now() where id = $1", [record.id]);
    expect(await useToken(pool, token)).toBeNull();
    expect(await useToken(pool, "shp_unknown")).toBeNull();
  });
});
