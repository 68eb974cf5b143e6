import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import { startEmbeddedPostgres } from "./embedded.ts";

describe("embedded PostgreSQL", () => {
  it("starts under a mode-700 parent (as root it grants traverse), keeps data across restarts", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-pg700-"));
    const locked = path.join(root, "private");
    await fs.mkdir(locked, { mode: 0o700 });
    const dir = path.join(locked, "data", "pgdata");
    const log = createLogger("silent");
    const first = await startEmbeddedPostgres({ dir, port: 0, log });
    const c1 = new pg.Client(first.url);
    await c1.connect();
    await c1.query("create table kept (v text)");
    await c1.query("insert into kept values ('still here')");
    await c1.end();
    await first.stop();

    const second = await startEmbeddedPostgres({ dir, port: 0, log });
    const c2 = new pg.Client(second.url);
    await c2.connect();
    const { rows } = await c2.query("select v from kept");
    await c2.end();
    await second.stop();
    expect(rows).toEqual([{ v: "still here" }]);
    if (process.getuid?.() === 0) expect((await fs.stat(locked)).mode & 0o001).toBe(0o001);
    // The password file is private to its owner.
    expect((await fs.stat(path.join(locked, "data", "pg-password"))).mode & 0o077).toBe(0);
  });
});
