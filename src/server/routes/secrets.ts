import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { notFound, ShipyardError } from "../../domain/errors.ts";
import { ENVIRONMENTS } from "../../previews/store.ts";
import { assertSecretName } from "../../secrets/store.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, jsonContent } from "../schemas.ts";

// Values are write-only: no response here carries one, and nothing here logs the request body. The problem
// messages below name the secret (names are not secret) but never echo its value.

const SecretEnvironment = z.enum(ENVIRONMENTS).openapi({ description: "Scopes the secret to deploys to this environment, where it wins over the unscoped one" });

export const SecretSchema = z
  .object({ name: z.string().openapi({ example: "ANTHROPIC_API_KEY" }), environment: SecretEnvironment.nullable().openapi({ description: "The environment it is scoped to; null: unscoped" }) })
  .openapi("Secret");

export const SetSecretSchema = z
  .object({ value: z.string().openapi({ description: "The plaintext; stored encrypted, never returned" }), environment: SecretEnvironment.optional() })
  .strict()
  .openapi("SetSecret");

const EnvironmentQuery = z.object({ environment: SecretEnvironment.optional() });

// The store checks the name itself; the length cap here only keeps an absurd path out of the error message.
const NameParam = z.object({
  name: z.string().min(1).max(200).openapi({ param: { name: "name", in: "path" }, example: "ANTHROPIC_API_KEY" }),
});

const NAME_HINT = "; at most 128 characters, e.g. ANTHROPIC_API_KEY";

/** The store's TypeErrors (bad name, value too large or with NUL) are the caller's mistake: a 400, not a 500. */
function invalidSecret(err: unknown): never {
  if (err instanceof TypeError) throw new ShipyardError("invalid_secret", err.message, 400, undefined, { cause: err });
  throw err;
}

/** Check a path's secret name up front so every route answers a bad name with the same 400. */
function checkedName(name: string): string {
  try {
    assertSecretName(name);
  } catch (err) {
    if (err instanceof TypeError) throw new ShipyardError("invalid_secret", err.message + NAME_HINT, 400, undefined, { cause: err });
    throw err;
  }
  return name;
}

/**
 * /secrets: the workspace's secrets (model API keys such as ANTHROPIC_API_KEY, git tokens), by name.
 * PUT answers 204 with no body, so a value can never travel back; GET lists names only.
 */
export function secretRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/secrets",
      summary: "Names of this workspace's secrets with the environment each is scoped to, sorted (values are never returned)",
      responses: { 200: jsonContent(z.object({ secrets: z.array(SecretSchema) }), "Secret names"), ...errorResponses(401) },
    }),
    async (c) => {
      return c.json({ secrets: await deps.secrets.list(c.get("principal").workspaceId) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/secrets/{name}",
      summary: "Store or replace a secret (encrypted at rest); llm steps and agents read provider keys by their env var name",
      request: { params: NameParam, body: { required: true, content: { "application/json": { schema: SetSecretSchema } } } },
      responses: { 204: { description: "Stored; no body" }, ...errorResponses(400, 401) },
    }),
    async (c) => {
      const name = checkedName(c.req.valid("param").name);
      const { value, environment } = c.req.valid("json");
      // Model resolution treats an empty secret as absent and falls back to the server's environment, so
      // storing one would silently do nothing; say so instead.
      if (value === "") throw new ShipyardError("invalid_secret", `secret ${name} has an empty value: give the value, or DELETE /secrets/${name} to remove it`, 400);
      await deps.secrets.put(c.get("principal").workspaceId, name, value, environment ?? null).catch(invalidSecret);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/secrets/{name}",
      summary: "Delete a secret (?environment=production: the one scoped to it)",
      request: { params: NameParam, query: EnvironmentQuery },
      responses: { 204: { description: "Deleted; no body" }, ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const name = checkedName(c.req.valid("param").name);
      // Another workspace's secret of the same name is simply not in this workspace: the same 404.
      const { environment } = c.req.valid("query");
      if (!(await deps.secrets.delete(c.get("principal").workspaceId, name, environment ?? null))) throw notFound("secret", environment ? `${name} (${environment})` : name);
      return c.body(null, 204);
    },
  );
}
