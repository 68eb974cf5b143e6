import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from "../src/db/embedded.ts";
import { migrate } from "../src/db/migrate.ts";
import { createPool } from "../src/db/pool.ts";
import { createLogger } from "../src/logger.ts";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    /** A database with Shipyard's migrations and DBOS's system schema applied, to copy (`freshDatabase({ migrated: true })`). */
    pgMigratedTemplate: string;
  }
}

const TEMPLATE = "shipyard_migrated";

let db: EmbeddedDatabase | null = null;
let dir = "";

/** DBOS's system schema, made by its own CLI (`dbos schema URL`), as DBOS.launch would make it. */
async function dbosSchema(url: string): Promise<void> {
  // The package's `dbos` bin, beside its main module (dist/src/index.js).
  const main = createRequire(import.meta.url).resolve("@dbos-inc/dbos-sdk");
  await promisify(execFile)(process.execPath, [path.join(path.dirname(main), "cli", "cli.js"), "schema", url]);
}

/** One embedded PostgreSQL for the whole test run; each test file creates its own database in it. */
export async function setup(project: TestProject): Promise<void> {
  dir = mkdtempSync(path.join(os.tmpdir(), "shipyard-test-pg-"));
  // No test crashes this cluster or its machine, so nothing needs to reach the disk before a commit returns:
  // without the flushes, the test files' commits (hundreds per second) stop queueing behind each other's fsync.
  // The clusters `shipyard up` starts in the crash tests keep PostgreSQL's defaults.
  const settings = ["fsync=off", "synchronous_commit=off", "full_page_writes=off"];
  db = await startEmbeddedPostgres({ dir: path.join(dir, "pgdata"), port: 0, database: "postgres", log: createLogger("warn"), settings });
  // Migrated once here: a file that boots Shipyard copies it instead of migrating (and DBOS creating its schema).
  await ensureDatabase(db.url, TEMPLATE);
  const templateUrl = new URL(db.url);
  templateUrl.pathname = `/${TEMPLATE}`;
  const pool = createPool(templateUrl.toString(), 1);
  try {
    await Promise.all([migrate(pool), dbosSchema(templateUrl.toString())]);
  } finally {
    await pool.end();
  }
  project.provide("pgAdminUrl", db.url);
  project.provide("pgMigratedTemplate", TEMPLATE);
}

export async function teardown(): Promise<void> {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
}
