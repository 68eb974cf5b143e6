import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { ensureDatabase } from "../../src/db/embedded.ts";

/** A fresh database on the test run's PostgreSQL; returns its URL. */
export async function freshDatabase(prefix = "t"): Promise<string> {
  const admin = inject("pgAdminUrl");
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await ensureDatabase(admin, name);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}
