import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../src/db/embedded.ts";
import { createLogger } from "../src/logger.ts";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

let db: EmbeddedDatabase | null = null;
let dir = "";

/** One embedded PostgreSQL for the whole test run; each test file creates its own database in it. */
export async function setup(project: TestProject): Promise<void> {
  dir = mkdtempSync(path.join(os.tmpdir(), "shipyard-test-pg-"));
  // No test crashes this cluster or its machine, so nothing needs to reach the disk before a commit returns:
  // without the flushes, the test files' commits (hundreds per second) stop queueing behind each other's fsync.
  // The clusters `shipyard up` starts in the crash tests keep PostgreSQL's defaults.
  const settings = ["fsync=off", "synchronous_commit=off", "full_page_writes=off"];
  db = await startEmbeddedPostgres({ dir: path.join(dir, "pgdata"), port: 0, database: "postgres", log: createLogger("warn"), settings });
  project.provide("pgAdminUrl", db.url);
}

export async function teardown(): Promise<void> {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
}
