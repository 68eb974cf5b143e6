// Workspace secrets in the `secrets` table (migration 002), encrypted with a SecretBox. Each ciphertext is bound
// to its workspace and name, so copying one into another row (another workspace) does not decrypt there.
import type { Queryable } from "../db/pool.ts";
import type { SecretBox } from "./box.ts";

// Secrets reach jobs as environment variables, so a name must be a valid one.
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
// The kernel caps one environment string at 128 KiB; half leaves room for everything else.
const MAX_VALUE_BYTES = 64 * 1024;

/** Throw unless `name` can be a secret's name (an environment variable name, at most 128 characters). */
export function assertSecretName(name: string): void {
  if (!NAME.test(name)) {
    throw new TypeError(`invalid secret name ${JSON.stringify(name)}: use letters, digits and _, not starting with a digit`);
  }
}

function context(workspaceId: string, name: string): string {
  return JSON.stringify(["secret", workspaceId, name]);
}

/** Store (or replace) a workspace's secret. */
export async function putSecret(db: Queryable, box: SecretBox, workspaceId: string, name: string, value: string): Promise<void> {
  assertSecretName(name);
  if (Buffer.byteLength(value, "utf8") > MAX_VALUE_BYTES) throw new TypeError(`secret ${name} is over ${MAX_VALUE_BYTES} bytes`);
  if (value.includes("\0")) throw new TypeError(`secret ${name} contains NUL, which no environment variable can hold`);
  await db.query(
    `insert into secrets (workspace_id, name, ciphertext) values ($1, $2, $3)
     on conflict (workspace_id, name) do update set ciphertext = excluded.ciphertext, updated_at = now()`,
    [workspaceId, name, box.encrypt(value, context(workspaceId, name))],
  );
}

/** A workspace's secret in plaintext, or null when it has none by that name. */
export async function getSecret(db: Queryable, box: SecretBox, workspaceId: string, name: string): Promise<string | null> {
  const { rows } = await db.query<{ ciphertext: string }>(
    "select ciphertext from secrets where workspace_id = $1 and name = $2",
    [workspaceId, name],
  );
  const row = rows[0];
  return row ? box.decrypt(row.ciphertext, context(workspaceId, name)) : null;
}

/** Delete a workspace's secret; true when there was one. */
export async function deleteSecret(db: Queryable, workspaceId: string, name: string): Promise<boolean> {
  const result = await db.query("delete from secrets where workspace_id = $1 and name = $2", [workspaceId, name]);
  return (result.rowCount ?? 0) > 0;
}

/** The names of a workspace's secrets, sorted; never their values. */
export async function listSecretNames(db: Queryable, workspaceId: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    "select name from secrets where workspace_id = $1 order by name collate \"C\"",
    [workspaceId],
  );
  return rows.map((r) => r.name);
}

/** The four operations bound to one database and box, for wiring into services. */
export interface SecretStore {
  get(workspaceId: string, name: string): Promise<string | null>;
  put(workspaceId: string, name: string, value: string): Promise<void>;
  delete(workspaceId: string, name: string): Promise<boolean>;
  listNames(workspaceId: string): Promise<string[]>;
  /** The same store over another connection: a transaction's client, so a secret commits or rolls back with it. */
  within(db: Queryable): SecretStore;
  /** Encrypt a secret kept outside this table (a webhook's signing secret), bound to `context` (e.g. its row). */
  seal(plain: string, context: string): string;
  /** The plaintext of `seal(plain, context)`; throws when altered or when the context differs. */
  unseal(text: string, context: string): string;
}

/** A SecretStore over `db` and `box`. */
export function createSecretStore(db: Queryable, box: SecretBox): SecretStore {
  return {
    get: (workspaceId, name) => getSecret(db, box, workspaceId, name),
    put: (workspaceId, name, value) => putSecret(db, box, workspaceId, name, value),
    delete: (workspaceId, name) => deleteSecret(db, workspaceId, name),
    listNames: (workspaceId) => listSecretNames(db, workspaceId),
    within: (other) => createSecretStore(other, box),
    seal: (plain, context) => box.encrypt(plain, context),
    unseal: (text, context) => box.decrypt(text, context),
  };
}
