import type { AddressInfo } from "node:net";
import os from "node:os";
import { serve, type ServerType } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace } from "../src/server/auth.ts";
import { runCli } from "./helpers/cli.ts";
import { startInMemoryApp, type InMemoryApp } from "./helpers/in-memory-app.ts";

// Workspace secrets over the API (in memory, `app.request()`) and the CLI (a real process against the same app
// on loopback): names in, names out, values only ever in the database, encrypted. No engine or runner needed.
let m: InMemoryApp;
let server: ServerType;
let url: string;

beforeAll(async () => {
  m = await startInMemoryApp("secrets");
  url = await new Promise<string>((resolve) => {
    server = serve({ fetch: m.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
  });
});
afterAll(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await m?.close();
});

/** A request with the workspace's owner token (or `token`). */
const api = (method: string, route: string, body?: unknown, token?: string) => m.api(method, route, body, token ? { authorization: `Bearer ${token}` } : {});
/** The app's own secret store reads back what it stored, to check the exact value arrived. */
const stored = (name: string) => m.secrets.get(m.workspaceId, name);

// Distinctive enough that finding it anywhere means it leaked.
const VALUE = "sk-ant-test-7f3c9e1a-do-not-leak";

async function newWorkspace(name: string): Promise<string> {
  return (await createWorkspace(m.pool, name)).token;
}

const names = async (token?: string): Promise<string[]> => {
  const r = await api("GET", "/secrets", undefined, token);
  expect(r.status).toBe(200);
  expect(JSON.stringify(r.body)).not.toContain(VALUE);
  return (r.body.secrets as { name: string }[]).map((x) => x.name);
};

describe("secrets API", () => {
  it("stores, lists (names only, sorted), replaces and deletes a secret", async () => {
    const put = await api("PUT", "/secrets/ANTHROPIC_API_KEY", { value: VALUE });
    expect(put.status).toBe(204);
    expect(put.body).toBeNull();
    expect((await api("PUT", "/secrets/AAA_FIRST", { value: "x" })).status).toBe(204);
    expect(await names()).toEqual(["AAA_FIRST", "ANTHROPIC_API_KEY"]);
    const listed = await api("GET", "/secrets");
    expect(listed.body.secrets).toEqual([{ name: "AAA_FIRST", environment: null }, { name: "ANTHROPIC_API_KEY", environment: null }]);

    expect((await api("PUT", "/secrets/ANTHROPIC_API_KEY", { value: VALUE + "-2" })).status).toBe(204);
    expect(await stored("ANTHROPIC_API_KEY")).toBe(VALUE + "-2");

    expect((await api("DELETE", "/secrets/AAA_FIRST")).status).toBe(204);
    const again = await api("DELETE", "/secrets/AAA_FIRST");
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ code: "not_found", status: 404 });
    expect(await names()).toEqual(["ANTHROPIC_API_KEY"]);
  });

  it("stores the value encrypted", async () => {
    await api("PUT", "/secrets/OPENAI_API_KEY", { value: VALUE });
    const { rows } = await m.pool.query<{ ciphertext: string }>("select ciphertext from secrets where name = 'OPENAI_API_KEY'");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.ciphertext).not.toContain(VALUE);
    expect(Buffer.from(rows[0]!.ciphertext, "base64").toString("latin1")).not.toContain(VALUE);
  });

  it("answers a bad name or value with a 400 problem that says how to fix it, without echoing the value", async () => {
    const bad = await api("PUT", "/secrets/1-bad-name", { value: VALUE });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    expect(bad.body).toMatchObject({ code: "invalid_secret", status: 400 });
    expect(bad.body.detail).toMatch(/letters, digits and _/);
    expect(JSON.stringify(bad.body)).not.toContain(VALUE);

    expect((await api("DELETE", "/secrets/has-dash")).body).toMatchObject({ code: "invalid_secret" });
    const empty = await api("PUT", "/secrets/EMPTY_ONE", { value: "" });
    expect(empty.body).toMatchObject({ code: "invalid_secret", status: 400 });
    // A NUL is refused at the API boundary, like anywhere else in a request.
    const nul = await api("PUT", "/secrets/NUL_ONE", { value: `${VALUE}\0` });
    expect(nul.body).toMatchObject({ code: "invalid_text", status: 400 });
    expect(JSON.stringify(nul.body)).not.toContain(VALUE);
    const huge = await api("PUT", "/secrets/HUGE_ONE", { value: "x".repeat(70_000) });
    expect(huge.body).toMatchObject({ code: "invalid_secret", status: 400 });
    const wrongType = await api("PUT", "/secrets/TYPED", { value: 42 });
    expect(wrongType.body).toMatchObject({ code: "invalid_request", status: 400 });
    expect(await names()).not.toEqual(expect.arrayContaining(["EMPTY_ONE", "NUL_ONE", "HUGE_ONE", "TYPED"]));
  });

  it("keeps workspaces apart: another workspace neither sees nor deletes the secret", async () => {
    const other = await newWorkspace("secrets-other");
    expect(await names(other)).toEqual([]);
    const del = await api("DELETE", "/secrets/ANTHROPIC_API_KEY", undefined, other);
    expect(del.status).toBe(404);
    expect(await names()).toContain("ANTHROPIC_API_KEY");

    // The same name in the other workspace is a separate secret.
    expect((await api("PUT", "/secrets/ANTHROPIC_API_KEY", { value: "other-value" }, other)).status).toBe(204);
    expect(await stored("ANTHROPIC_API_KEY")).toBe(VALUE + "-2");
    expect(await names(other)).toEqual(["ANTHROPIC_API_KEY"]);
  });

  it("documents the routes in the OpenAPI document", async () => {
    const doc = await api("GET", "/openapi.json");
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(["/secrets", "/secrets/{name}"]));
  });
});

describe("secrets CLI", () => {
  const env = () => ({ PATH: process.env.PATH ?? "", HOME: os.tmpdir(), SHIPYARD_URL: url, SHIPYARD_TOKEN: m.token, NO_COLOR: "1" });

  it("sets a secret from stdin (one trailing newline dropped), lists it and removes it", async () => {
    const set = await runCli(["secrets", "set", "CLI_KEY"], { env: env(), input: `${VALUE}\n` });
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    expect(set.stdout + set.stderr).not.toContain(VALUE);
    expect(await stored("CLI_KEY")).toBe(VALUE);

    const list = await runCli(["secrets", "list", "--json"], { env: env() });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toContainEqual({ name: "CLI_KEY", environment: null });
    expect(list.stdout).not.toContain(VALUE);
    expect((await runCli(["secrets", "list"], { env: env() })).stdout).toContain("CLI_KEY");

    const rm = await runCli(["secrets", "rm", "CLI_KEY"], { env: env() });
    expect(rm.code).toBe(0);
    expect(await names()).not.toContain("CLI_KEY");
    const rmAgain = await runCli(["secrets", "rm", "CLI_KEY"], { env: env() });
    expect(rmAgain.code).toBe(2);
    expect(rmAgain.stderr).toContain("not_found");
  });

  it("takes --value, and explains a bad name or a missing value", async () => {
    expect((await runCli(["secrets", "set", "FLAG_KEY", "--value", "v1"], { env: env() })).code).toBe(0);
    expect(await stored("FLAG_KEY")).toBe("v1");
    const bad = await runCli(["secrets", "set", "bad-name", "--value", "v"], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/letters, digits and _.*invalid_secret/);
    const none = await runCli(["secrets", "set", "NO_VALUE"], { env: env(), input: "" });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--value");
  });

  it("scopes a secret to an environment with --env", async () => {
    await m.secrets.put(m.workspaceId, "SCOPED_KEY", "all");
    const set = await runCli(["secrets", "set", "SCOPED_KEY", "--env", "production", "--value", "prod"], { env: env() });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain("for production");
    expect(await m.secrets.get(m.workspaceId, "SCOPED_KEY", "production")).toBe("prod");
    expect(await m.secrets.get(m.workspaceId, "SCOPED_KEY")).toBe("all");
    expect(JSON.parse((await runCli(["secrets", "list", "--json"], { env: env() })).stdout)).toEqual(
      expect.arrayContaining([{ name: "SCOPED_KEY", environment: null }, { name: "SCOPED_KEY", environment: "production" }]),
    );
    expect((await runCli(["secrets", "rm", "SCOPED_KEY", "--env", "production"], { env: env() })).code).toBe(0);
    expect(await m.secrets.get(m.workspaceId, "SCOPED_KEY", "production")).toBe("all");
  });
});
