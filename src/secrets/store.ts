// Workspace secrets in the `secrets` table (migration 002), encrypted with a SecretBox. Each ciphertext is bound
// to its workspace and name, so copying one into another row (another workspace) does not decrypt there.
import type { Queryable } from "../db/pool.ts";
import type { SecretBox } from "./box.ts";

/** An environment a secret can be scoped to (see src/previews/store.ts ENVIRONMENTS). */
export type SecretEnvironment = "staging" | "production";

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

// A scoped secret's ciphertext is bound to its environment too: copied onto the unscoped row it does not decrypt.
function context(workspaceId: string, name: string, environment: SecretEnvironment | null = null): string {
  return JSON.stringify(environment ? ["secret", workspaceId, name, environment] : ["secret", workspaceId, name]);
}

/** Store (or replace) a workspace's secret; `environment` scopes it to deploys to that environment (null: unscoped). */
export async function putSecret(db: Queryable, box: SecretBox, workspaceId: string, name: string, value: string, environment: SecretEnvironment | null = null): Promise<void> {
  assertSecretName(name);
  if (Buffer.byteLength(value, "utf8") > MAX_VALUE_BYTES) throw new TypeError(`secret ${name} is over ${MAX_VALUE_BYTES} bytes`);
  if (value.includes("\0")) throw new TypeError(`secret ${name} contains NUL, which no environment variable can hold`);
  await db.query(
    `insert into secrets (workspace_id, name, environment, ciphertext) values ($1, $2, $3, $4)
     on conflict (workspace_id, name, environment) do update set ciphertext = excluded.ciphertext, updated_at = now()`,
    [workspaceId, name, environment, box.encrypt(value, context(workspaceId, name, environment))],
  );
}

/**
 * A workspace's secret in plaintext, or null when it has none by that name. With `environment` (a deploy to it),
 * the secret scoped to that environment wins over the unscoped one; without, only the unscoped one is read, so a
 * production-scoped secret never reaches a job or a model call.
 */
export async function getSecret(db: Queryable, box: SecretBox, workspaceId: string, name: string, environment: SecretEnvironment | null = null): Promise<string | null> {
  const { rows } = await db.query<{ ciphertext: string; environment: SecretEnvironment | null }>(
    `select ciphertext, environment from secrets
      where workspace_id = $1 and name = $2 and (environment is null or environment = $3)
      order by environment nulls last limit 1`,
    [workspaceId, name, environment],
  );
  const row = rows[0];
  return row ? box.decrypt(row.ciphertext, context(workspaceId, name, row.environment)) : null;
}

/** Delete a workspace's secret (the one scoped to `environment`, else the unscoped one); true when there was one. */
export async function deleteSecret(db: Queryable, workspaceId: string, name: string, environment: SecretEnvironment | null = null): Promise<boolean> {
  const result = await db.query("delete from secrets where workspace_id = $1 and name = $2 and environment is not distinct from $3", [workspaceId, name, environment]);
  return (result.rowCount ?? 0) > 0;
}

/** The names of a workspace's secrets with the environment each is scoped to (null: unscoped), sorted; never their values. */
export async function listSecrets(db: Queryable, workspaceId: string): Promise<{ name: string; environment: SecretEnvironment | null }[]> {
  const { rows } = await db.query<{ name: string; environment: SecretEnvironment | null }>(
    "select name, environment from secrets where workspace_id = $1 order by name collate \"C\", environment nulls first",
    [workspaceId],
  );
  return rows;
}

/** The names of a workspace's unscoped secrets, sorted; never their values. */
export async function listSecretNames(db: Queryable, workspaceId: string): Promise<string[]> {
  return (await listSecrets(db, workspaceId)).filter((s) => s.environment === null).map((s) => s.name);
}

/** The four operations bound to one database and box, for wiring into services. */
export interface SecretStore {
  /** With `environment`: the secret scoped to it before the unscoped one; without: the unscoped one only. */
  get(workspaceId: string, name: string, environment?: SecretEnvironment | null): Promise<string | null>;
  put(workspaceId: string, name: string, value: string, environment?: SecretEnvironment | null): Promise<void>;
  delete(workspaceId: string, name: string, environment?: SecretEnvironment | null): Promise<boolean>;
  listNames(workspaceId: string): Promise<string[]>;
  /** Every secret's name and the environment it is scoped to. */
  list(workspaceId: string): Promise<{ name: string; environment: SecretEnvironment | null }[]>;
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
    get: (workspaceId, name, environment) => getSecret(db, box, workspaceId, name, environment ?? null),
    put: (workspaceId, name, value, environment) => putSecret(db, box, workspaceId, name, value, environment ?? null),
    delete: (workspaceId, name, environment) => deleteSecret(db, workspaceId, name, environment ?? null),
    listNames: (workspaceId) => listSecretNames(db, workspaceId),
    list: (workspaceId) => listSecrets(db, workspaceId),
    within: (other) => createSecretStore(other, box),
    seal: (plain, context) => box.encrypt(plain, context),
    unseal: (text, context) => box.decrypt(text, context),
  };
}
