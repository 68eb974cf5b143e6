import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inTransaction, type Pool } from "./pool.ts";

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");
// Any constant works; it serialises concurrent migrators (two servers starting at once).
const MIGRATION_LOCK = 7420_0001;

/** Apply the SQL files in db/migrations that this database has not seen yet, in name order. */
export async function migrate(pool: Pool): Promise<string[]> {
  const files = (await fs.readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith(".sql")).sort();
  return inTransaction(pool, async (client) => {
    await client.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(
      "create table if not exists shipyard_migrations (name text primary key, applied_at timestamptz not null default now())",
    );
    const done = new Set((await client.query<{ name: string }>("select name from shipyard_migrations")).rows.map((r) => r.name));
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file)) continue;
      await client.query(await fs.readFile(path.join(MIGRATIONS_DIR, file), "utf8"));
      await client.query("insert into shipyard_migrations(name) values ($1)", [file]);
      applied.push(file);
    }
    return applied;
  });
}
