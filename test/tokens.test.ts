// Tokens and roles through the real HTTP app in memory (`app.request()`) on a real database: the role matrix,
// revocation (requests, an open SSE stream), listing without secrets, workspace isolation.
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../src/db/migrate.ts";
import { createPool, type Pool } from "../src/db/pool.ts";
import { EventHub } from "../src/events/hub.ts";
import { Notifier } from "../src/events/notifier.ts";
import { createLogger } from "../src/logger.ts";
import { SecretBox } from "../src/secrets/box.ts";
import { createSecretStore } from "../src/secrets/store.ts";
import { createApp } from "../src/server/app.ts";
import { ensureAdminToken } from "../src/server/bootstrap.ts";
import { Metrics } from "../src/server/metrics.ts";
import { ROUTE_POLICY } from "../src/server/policy.ts";
import { Revocations } from "../src/server/revocations.ts";
import { hashToken } from "../src/tokens/store.ts";
import { loadConfig } from "../src/config.ts";
import { createOutboundClient } from "../src/net/outbound-client.ts";
import { runCli } from "./helpers/cli.ts";
import { freshDatabase } from "./helpers/database.ts";
import { RecordingWorkflows } from "./helpers/workflows.ts";

const log = createLogger("warn");
let pool: Pool;
let notifier: Notifier;
let app: ReturnType<typeof createApp>;
let admin: string;
/** Workspace A: its id and a token of every role; B: its owner. */
const a: Record<"owner" | "member" | "viewer" | "runner", string> & { id: string } = { id: "", owner: "", member: "", viewer: "", runner: "" };
let bOwner = "";
const secrets: string[] = [];

beforeAll(async () => {
  const url = await freshDatabase();
  pool = createPool(url, 10);
  await migrate(pool);
  admin = (await ensureAdminToken(pool, await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-tokens-")))).token;
  notifier = new Notifier(url, log);
  await notifier.start();
  const revocations = new Revocations(pool, log);
  await revocations.start(notifier);
  const hub = new EventHub(pool, notifier, log);
  const store = createSecretStore(pool, new SecretBox(randomBytes(32)));
  app = createApp({ pool, workflows: new RecordingWorkflows(), hub, log, metrics: new Metrics(pool), secrets: store, outbound: createOutboundClient(loadConfig({}).urls), heartbeatMs: 100, revocations, isReady: () => true });
  const wa = await call("POST", "/workspaces", admin, { name: "team-a" });
  a.id = wa.body.id;
  a.owner = wa.body.token;
  bOwner = (await call("POST", "/workspaces", admin, { name: "team-b" })).body.token;
  for (const role of ["member", "viewer", "runner"] as const) {
    const created = await call("POST", "/tokens", a.owner, { name: `a-${role}`, role });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ role, shared: false, admin: false });
    a[role] = created.body.token;
  }
  secrets.push(admin, a.owner, a.member, a.viewer, a.runner, bOwner);
});

afterAll(async () => {
  await notifier?.stop();
  await pool?.end();
});

/** A request to the in-memory app; the body parsed as JSON when there is one. */
async function call(method: string, route: string, token: string, body?: unknown): Promise<{ status: number; body: any; text: string }> {
  const res = await app.request(`/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, text };
}

describe("roles", () => {
  // One representative route per class: read, run/cancel, manage, admin.
  const matrix: { route: [string, string, unknown?]; ok: number; allowed: string[] }[] = [
    { route: ["GET", "/runs"], ok: 200, allowed: ["viewer", "member", "owner", "admin"] },
    { route: ["POST", "/queues/backlog/pause"], ok: 200, allowed: ["member", "owner", "admin"] },
    { route: ["PUT", "/settings", { defaultModel: null }], ok: 200, allowed: ["owner", "admin"] },
    { route: ["GET", "/tokens"], ok: 200, allowed: ["owner", "admin"] },
    { route: ["POST", "/workspaces", { name: "x" }], ok: 201, allowed: ["admin"] },
  ];
  const roles = ["runner", "viewer", "member", "owner", "admin"] as const;
  const tokenOf = (role: (typeof roles)[number]) => (role === "admin" ? admin : a[role]);

  for (const { route, ok, allowed } of matrix) {
    it(`${route[0]} ${route[1]}: ${allowed.join(", ")} only`, async () => {
      for (const role of roles) {
        const [method, p, body] = route;
        const b = body && typeof body === "object" && "name" in body ? { name: `ws-${role}` } : body;
        const r = await call(method, p, tokenOf(role), b);
        if (allowed.includes(role)) {
          expect(r.status, `${role} on ${method} ${p}: ${r.text}`).toBe(ok);
          continue;
        }
        expect(r.status, `${role} on ${method} ${p}`).toBe(403);
        expect(r.body).toMatchObject({ code: "forbidden", status: 403 });
        const needed = allowed[0]!;
        expect(r.body.errors).toMatchObject({ requiredRole: needed, role });
        expect(r.body.detail).toContain(needed === "admin" ? "admin token" : `${needed} role`);
        expect(r.body.detail).toContain(`the ${role} role`);
      }
    });
  }

  it("a refused request changes nothing", async () => {
    await call("POST", "/queues/rework/resume", a.member);
    expect((await call("POST", "/queues/rework/pause", a.viewer)).status).toBe(403);
    const queues = await call("GET", "/queues", a.viewer);
    expect(queues.body.queues.find((q: { queue: string }) => q.queue === "rework").paused).toBe(false);
    expect((await call("POST", "/workspaces", a.owner, { name: "never" })).status).toBe(403);
    expect((await call("POST", "/workspaces", admin, { name: "never" })).status).toBe(201); // the name was not taken
  });

  it("every route of the API has an entry in the policy table", async () => {
    const doc = (await app.request("/api/v1/openapi.json")).json() as Promise<{ paths: Record<string, Record<string, unknown>> }>;
    const missing: string[] = [];
    for (const [p, methods] of Object.entries((await doc).paths)) {
      for (const m of Object.keys(methods)) if (!(`${m.toUpperCase()} ${p}` in ROUTE_POLICY)) missing.push(`${m.toUpperCase()} ${p}`);
    }
    expect(missing).toEqual([]);
  });
});

describe("tokens", () => {
  it("lists names, roles and times, never a secret or its hash", async () => {
    const r = await call("GET", "/tokens", a.owner);
    expect(r.status).toBe(200);
    expect(r.body.tokens.map((t: { name: string; role: string }) => [t.name, t.role])).toEqual([
      ["team-a first token", "owner"],
      ["a-member", "member"],
      ["a-viewer", "viewer"],
      ["a-runner", "runner"],
    ]);
    for (const t of r.body.tokens) expect(Object.keys(t).sort()).toEqual(["admin", "createdAt", "id", "lastUsedAt", "name", "role", "shared"]);
    for (const secret of secrets) {
      expect(r.text).not.toContain(secret);
      expect(r.text).not.toContain(hashToken(secret));
    }
    // The admin token shows as the default workspace's, flagged.
    const own = await call("GET", "/tokens", admin);
    expect(own.body.tokens).toEqual([expect.objectContaining({ name: "admin", role: "owner", admin: true })]);
  });

  it("a shared-pool runner token is the admin's to create", async () => {
    const byOwner = await call("POST", "/tokens", a.owner, { name: "pool", role: "runner", shared: true });
    expect(byOwner.status).toBe(403);
    expect(byOwner.body.detail).toContain("admin");
    expect((await call("POST", "/tokens", admin, { name: "pool", role: "member", shared: true })).status).toBe(400);
    const byAdmin = await call("POST", "/tokens", admin, { name: "pool", role: "runner", shared: true });
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.body).toMatchObject({ role: "runner", shared: true, token: expect.stringMatching(/^shp_/) });
    expect((await call("GET", "/tokens", a.owner)).body.tokens.some((t: { name: string }) => t.name === "pool")).toBe(false);
  });

  it("bad input is a 400 and issues nothing", async () => {
    const before = (await call("GET", "/tokens", a.owner)).body.tokens.length;
    for (const body of [{ name: "x", role: "superuser" }, { name: "", role: "viewer" }, { role: "viewer" }, { name: "x", role: "viewer", extra: 1 }]) {
      expect((await call("POST", "/tokens", a.owner, body)).status).toBe(400);
    }
    expect((await call("GET", "/tokens", a.owner)).body.tokens.length).toBe(before);
  });

  it("revoking is at once: the next request is a 401; another workspace's token id is a 404", async () => {
    const t = (await call("POST", "/tokens", a.owner, { name: "ci", role: "member" })).body;
    expect((await call("GET", "/runs", t.token)).status).toBe(200);
    // B cannot see or revoke A's token: 404, and it keeps working.
    expect((await call("GET", "/tokens", bOwner)).text).not.toContain(t.id);
    const foreign = await call("DELETE", `/tokens/${t.id}`, bOwner);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe("not_found");
    expect((await call("GET", "/runs", t.token)).status).toBe(200);

    expect((await call("DELETE", `/tokens/${t.id}`, a.owner)).status).toBe(204);
    const after = await call("GET", "/runs", t.token);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe("unauthorized");
    expect((await call("DELETE", `/tokens/${t.id}`, a.owner)).status).toBe(404);
    expect((await call("GET", "/tokens", a.owner)).text).not.toContain(t.id);
  });

  it("the admin token cannot be revoked", async () => {
    const id = (await call("GET", "/tokens", admin)).body.tokens.find((t: { admin: boolean }) => t.admin).id;
    const r = await call("DELETE", `/tokens/${id}`, admin);
    expect(r.status).toBe(409);
    expect((await call("GET", "/runs", admin)).status).toBe(200);
  });

  it("revoking closes an open SSE stream made with the token", async () => {
    const opId = `run_sse${randomBytes(4).toString("hex")}`;
    await pool.query("insert into operations (id, workspace_id, kind, status, title) values ($1, $2, 'workflow', 'running', 'open')", [opId, a.id]);
    const t = (await call("POST", "/tokens", a.owner, { name: "watcher", role: "viewer" })).body;
    const res = await app.request(`/api/v1/operations/${opId}/events`, { headers: { authorization: `Bearer ${t.token}`, accept: "text/event-stream" } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    // Open: a heartbeat comes through.
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("heartbeat");
    expect((await call("DELETE", `/tokens/${t.id}`, a.owner)).status).toBe(204);
    // The stream ends (through NOTIFY, as it would in any other server process); without the fix it beats on for ever.
    const ended = (async () => {
      for (let r = await reader.read(); ; r = await reader.read()) if (r.done) return true;
    })();
    const guard = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000).unref());
    expect(await Promise.race([ended, guard])).toBe(true);
  });
});

describe("migration 007", () => {
  it("existing tokens become owners; the admin token stays the admin", async () => {
    const url = await freshDatabase();
    const old = createPool(url, 2);
    try {
      const dir = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "src", "db", "migrations");
      const before = (await fs.readdir(dir)).filter((f) => f.endsWith(".sql") && f < "007").sort();
      await old.query("create table shipyard_migrations (name text primary key, applied_at timestamptz not null default now())");
      for (const f of before) {
        await old.query(await fs.readFile(path.join(dir, f), "utf8"));
        await old.query("insert into shipyard_migrations (name) values ($1)", [f]);
      }
      await old.query("insert into workspaces (id, name) values ('ws_1', 'default')");
      await old.query(
        `insert into api_tokens (id, workspace_id, token_hash, name, is_admin) values
         ('tok_admin', 'ws_1', 'h1', 'admin', true), ('tok_team', 'ws_1', 'h2', 'team', false)`,
      );
      expect(await migrate(old)).toContain("007_tokens.sql");
      const rows = (await old.query("select id, role, is_admin, shared, revoked_at from api_tokens order by id")).rows;
      expect(rows).toEqual([
        { id: "tok_admin", role: "owner", is_admin: true, shared: false, revoked_at: null },
        { id: "tok_team", role: "owner", is_admin: false, shared: false, revoked_at: null },
      ]);
    } finally {
      await old.end();
    }
  });
});

describe("shipyard tokens", () => {
  let server: ServerType | null = null;
  afterAll(() => void server?.close());

  it("create, list (--json) and revoke through the CLI", async () => {
    const url = await new Promise<string>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
    });
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.tmpdir(), SHIPYARD_URL: url, SHIPYARD_TOKEN: a.owner, NO_COLOR: "1" };
    const help = await runCli(["tokens", "--help"], { env });
    expect(help.stdout).toContain("create");
    expect(help.stdout).toContain("viewer: read only");

    const created = await runCli(["tokens", "create", "deploy-bot", "--role", "viewer", "--json"], { env });
    expect(created.code).toBe(0);
    const token = JSON.parse(created.stdout) as { id: string; token: string; role: string };
    expect(token.role).toBe("viewer");
    expect((await call("GET", "/runs", token.token)).status).toBe(200);
    expect((await runCli(["tokens", "create", "x", "--role", "root"], { env })).code).not.toBe(0);

    const listed = await runCli(["tokens", "list"], { env });
    expect(listed.stdout).toMatch(/deploy-bot +viewer/);
    expect(listed.stdout).not.toContain(token.token);
    const json = JSON.parse((await runCli(["tokens", "list", "--json"], { env })).stdout) as { id: string }[];
    expect(json.map((t) => t.id)).toContain(token.id);

    const revoked = await runCli(["tokens", "revoke", token.id], { env });
    expect(revoked.code).toBe(0);
    expect((await call("GET", "/runs", token.token)).status).toBe(401);
    // A viewer may not manage tokens: the CLI says which role is needed.
    const asViewer = await runCli(["tokens", "list"], { env: { ...env, SHIPYARD_TOKEN: a.viewer } });
    expect(asViewer.code).not.toBe(0);
    expect(asViewer.stderr).toContain("needs the owner role");
  });
});
