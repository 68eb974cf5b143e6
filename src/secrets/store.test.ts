import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../../test/helpers/database.ts";
import { migrate } from "../db/migrate.ts";
import { createPool, type Pool } from "../db/pool.ts";
import { SecretBox } from "./box.ts";
import { createSecretStore, deleteSecret, getSecret, listSecretNames, listSecrets, putSecret } from "./store.ts";

let pool: Pool;
const box = new SecretBox(randomBytes(32));

beforeAll(async () => {
  pool = createPool(await freshDatabase("secrets"), 4);
  await migrate(pool);
  await pool.query("insert into workspaces (id, name) values ('ws_a', 'a'), ('ws_b', 'b'), ('ws_gone', 'gone')");
});
afterAll(async () => {
  await pool?.end();
});

describe("secret store", () => {
  it("puts, gets, overwrites, lists and deletes, per workspace", async () => {
    await putSecret(pool, box, "ws_a", "GITHUB_TOKEN", "ghp_first");
    await putSecret(pool, box, "ws_a", "API_KEY", "k1");
    await putSecret(pool, box, "ws_b", "GITHUB_TOKEN", "ghp_other");
    expect(await getSecret(pool, box, "ws_a", "GITHUB_TOKEN")).toBe("ghp_first");
    expect(await getSecret(pool, box, "ws_b", "GITHUB_TOKEN")).toBe("ghp_other");
    expect(await getSecret(pool, box, "ws_a", "MISSING")).toBeNull();

    const before = (await pool.query("select created_at, updated_at from secrets where workspace_id = 'ws_a' and name = 'GITHUB_TOKEN'")).rows[0];
    await putSecret(pool, box, "ws_a", "GITHUB_TOKEN", "ghp_second");
    expect(await getSecret(pool, box, "ws_a", "GITHUB_TOKEN")).toBe("ghp_second");
    const after = (await pool.query("select created_at, updated_at from secrets where workspace_id = 'ws_a' and name = 'GITHUB_TOKEN'")).rows[0];
    expect(after.created_at).toEqual(before.created_at);
    expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());

    expect(await listSecretNames(pool, "ws_a")).toEqual(["API_KEY", "GITHUB_TOKEN"]);
    expect(await deleteSecret(pool, "ws_a", "API_KEY")).toBe(true);
    expect(await deleteSecret(pool, "ws_a", "API_KEY")).toBe(false);
    expect(await listSecretNames(pool, "ws_a")).toEqual(["GITHUB_TOKEN"]);
    expect(await listSecretNames(pool, "ws_b")).toEqual(["GITHUB_TOKEN"]);
  });

  it("stores only ciphertext: the table never contains the plaintext", async () => {
    const value = `very-secret-${randomBytes(8).toString("hex")}`;
    await putSecret(pool, box, "ws_b", "PLAIN_CHECK", value);
    const { rows } = await pool.query("select * from secrets where workspace_id = 'ws_b' and name = 'PLAIN_CHECK'");
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(value);
    expect(stored).not.toContain(Buffer.from(value).toString("base64"));
    expect(rows[0].ciphertext).toMatch(/^v1:/);
  });

  it("a ciphertext copied into another workspace's row does not decrypt there", async () => {
    await putSecret(pool, box, "ws_a", "MOVED", "a-only");
    await putSecret(pool, box, "ws_b", "MOVED", "placeholder");
    await pool.query(
      "update secrets set ciphertext = (select ciphertext from secrets where workspace_id = 'ws_a' and name = 'MOVED') where workspace_id = 'ws_b' and name = 'MOVED'",
    );
    await expect(getSecret(pool, box, "ws_b", "MOVED")).rejects.toThrow(/could not be decrypted/);
    expect(await getSecret(pool, box, "ws_a", "MOVED")).toBe("a-only");
  });

  it("rejects names that cannot be environment variables, and values no environment can hold", async () => {
    for (const name of ["", "1ABC", "A-B", "A B", "x".repeat(129)]) {
      await expect(putSecret(pool, box, "ws_a", name, "v")).rejects.toThrow(/invalid secret name/);
    }
    await expect(putSecret(pool, box, "ws_a", "BIG", "x".repeat(64 * 1024 + 1))).rejects.toThrow(/over 65536 bytes/);
    await expect(putSecret(pool, box, "ws_a", "NUL", "a\0b")).rejects.toThrow(/NUL/);
    expect(await listSecretNames(pool, "ws_a")).not.toContain("BIG");
  });

  it("goes with its workspace, and works through the bound store", async () => {
    const store = createSecretStore(pool, box);
    await store.put("ws_gone", "TOKEN", "t");
    expect(await store.get("ws_gone", "TOKEN")).toBe("t");
    expect(await store.listNames("ws_gone")).toEqual(["TOKEN"]);
    await pool.query("delete from workspaces where id = 'ws_gone'");
    expect(await store.get("ws_gone", "TOKEN")).toBeNull();
    expect(await store.delete("ws_gone", "TOKEN")).toBe(false);
  });

  it("scopes a secret to an environment: a deploy there reads it first, everything else only the unscoped one", async () => {
    await putSecret(pool, box, "ws_a", "CF_TOKEN", "unscoped");
    await putSecret(pool, box, "ws_a", "CF_TOKEN", "for-production", "production");
    await putSecret(pool, box, "ws_a", "ONLY_STAGING", "s", "staging");
    expect(await getSecret(pool, box, "ws_a", "CF_TOKEN", "production")).toBe("for-production");
    expect(await getSecret(pool, box, "ws_a", "CF_TOKEN", "staging")).toBe("unscoped");
    // Jobs and model calls read without an environment: a scoped secret never reaches them.
    expect(await getSecret(pool, box, "ws_a", "CF_TOKEN")).toBe("unscoped");
    expect(await getSecret(pool, box, "ws_a", "ONLY_STAGING")).toBeNull();
    expect(await getSecret(pool, box, "ws_a", "ONLY_STAGING", "production")).toBeNull();
    expect(await getSecret(pool, box, "ws_a", "ONLY_STAGING", "staging")).toBe("s");
    // Replacing one scope leaves the other.
    await putSecret(pool, box, "ws_a", "CF_TOKEN", "for-production-2", "production");
    expect(await getSecret(pool, box, "ws_a", "CF_TOKEN")).toBe("unscoped");
    expect(await getSecret(pool, box, "ws_a", "CF_TOKEN", "production")).toBe("for-production-2");
    expect((await listSecrets(pool, "ws_a")).filter((x) => x.name === "CF_TOKEN" || x.name === "ONLY_STAGING")).toEqual([
      { name: "CF_TOKEN", environment: null },
      { name: "CF_TOKEN", environment: "production" },
      { name: "ONLY_STAGING", environment: "staging" },
    ]);
    expect(await listSecretNames(pool, "ws_a")).not.toContain("ONLY_STAGING");
    expect(await deleteSecret(pool, "ws_a", "CF_TOKEN", "production")).toBe(true);
    expect(await getSecret(pool, box, "ws_a", "CF_TOKEN", "production")).toBe("unscoped");
  });

  it("a scoped ciphertext copied onto the unscoped row does not decrypt there", async () => {
    await putSecret(pool, box, "ws_b", "SCOPED", "production-only", "production");
    await putSecret(pool, box, "ws_b", "SCOPED", "placeholder");
    await pool.query(
      "update secrets set ciphertext = (select ciphertext from secrets where workspace_id = 'ws_b' and name = 'SCOPED' and environment = 'production') where workspace_id = 'ws_b' and name = 'SCOPED' and environment is null",
    );
    await expect(getSecret(pool, box, "ws_b", "SCOPED")).rejects.toThrow(/could not be decrypted/);
  });
});
