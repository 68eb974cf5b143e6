import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateKey, SecretBox } from "./box.ts";

const box = new SecretBox(randomBytes(32));

describe("SecretBox", () => {
  it("round-trips any string (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), fc.string({ maxLength: 20 }), (plain, context) => {
        const text = box.encrypt(plain, context);
        expect(text).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$/);
        expect(box.decrypt(text, context)).toBe(plain);
      }),
    );
  });

  it("uses a fresh IV for every value: the same plaintext never encrypts the same way twice", () => {
    const a = box.encrypt("same");
    const b = box.encrypt("same");
    expect(a).not.toBe(b);
    expect(Buffer.from(a.split(":")[1]!, "base64")).toHaveLength(12);
    expect(Buffer.from(a.split(":")[2]!, "base64")).toHaveLength(16);
  });

  it("detects any change to the IV, tag or ciphertext", () => {
    const text = box.encrypt("hunter2 is my password");
    const parts = text.split(":");
    for (const index of [1, 2, 3]) {
      const bytes = Buffer.from(parts[index]!, "base64");
      bytes[0] = bytes[0]! ^ 0x01;
      const tampered = parts.map((p, i) => (i === index ? bytes.toString("base64") : p)).join(":");
      expect(() => box.decrypt(tampered)).toThrow("secret could not be decrypted: it was tampered with or encrypted with another key");
    }
  });

  it("fails with a wrong key or a different context", () => {
    const text = box.encrypt("value", "ws_1/NAME");
    expect(() => new SecretBox(randomBytes(32)).decrypt(text, "ws_1/NAME")).toThrow(/tampered with or encrypted with another key/);
    expect(() => box.decrypt(text, "ws_2/NAME")).toThrow(/tampered with or encrypted with another key/);
  });

  it("rejects malformed text and keys of the wrong size", () => {
    for (const bad of ["", "plain", "v2:a:b:c", "v1:a:b", "v1:!!!!:AAAAAAAAAAAAAAAAAAAAAA==:AA==", `v1:${"A".repeat(16)}:AAAA:AA==`]) {
      expect(() => box.decrypt(bad)).toThrow(/not an encrypted secret/);
    }
    expect(() => new SecretBox(randomBytes(16))).toThrow("a secret key is 32 bytes, got 16");
  });
});

describe("loadOrCreateKey", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-key-"));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it("creates <dataDir>/secret-key with mode 600 on first use and returns the same key afterwards", async () => {
    const dataDir = path.join(dir, "fresh", "data");
    const key = await loadOrCreateKey(dataDir, {});
    expect(key).toHaveLength(32);
    const stat = await fs.stat(path.join(dataDir, "secret-key"));
    expect(stat.mode & 0o777).toBe(0o600);
    expect((await fs.readFile(path.join(dataDir, "secret-key"), "utf8")).trim()).toBe(key.toString("base64"));
    expect(await loadOrCreateKey(dataDir, {})).toEqual(key);
    expect(await fs.readdir(dataDir)).toEqual(["secret-key"]);
  });

  it("gives every concurrent caller the same key", async () => {
    const dataDir = path.join(dir, "race");
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateKey(dataDir, {})));
    expect(new Set(keys.map((k) => k.toString("hex"))).size).toBe(1);
    expect(await fs.readdir(dataDir)).toEqual(["secret-key"]);
  });

  it("prefers SHIPYARD_SECRET_KEY and writes no file", async () => {
    const key = randomBytes(32);
    const dataDir = path.join(dir, "env");
    expect(await loadOrCreateKey(dataDir, { SHIPYARD_SECRET_KEY: `${key.toString("base64")}\n` })).toEqual(key);
    await expect(fs.stat(dataDir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("says clearly when the key in the environment or the file is malformed", async () => {
    for (const bad of ["short", randomBytes(16).toString("base64"), `${randomBytes(32).toString("base64")}x`, "%".repeat(44)]) {
      await expect(loadOrCreateKey(dir, { SHIPYARD_SECRET_KEY: bad })).rejects.toThrow(
        "SHIPYARD_SECRET_KEY must be 32 bytes in base64 (make one with: openssl rand -base64 32)",
      );
    }
    const dataDir = path.join(dir, "broken");
    await fs.mkdir(dataDir);
    await fs.writeFile(path.join(dataDir, "secret-key"), "garbage\n");
    await expect(loadOrCreateKey(dataDir, {})).rejects.toThrow(`${path.join(dataDir, "secret-key")} must be 32 bytes in base64`);
  });
});
