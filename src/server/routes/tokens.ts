import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { createToken, revokeTokenOf, tokensOf } from "../../tokens/service.ts";
import { ROLES } from "../../tokens/store.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, IdParam, jsonContent } from "../schemas.ts";

const Role = z.enum(ROLES);

export const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: Role,
    shared: z.boolean().openapi({ description: "A runner token of the shared pool: its runners serve every workspace" }),
    admin: z.boolean().openapi({ description: "The installation's admin token" }),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  .openapi("Token");

const TokenCreatedSchema = TokenSchema.extend({ token: z.string().openapi({ description: "The secret: shown once, store it now" }) }).openapi(
  "TokenCreated",
);

const CreateTokenSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: Role.openapi({ description: "viewer: reads; member: also runs and cancels; owner: also manages; runner: connects as a runner only" }),
    shared: z.boolean().optional().openapi({ description: "admin only, role runner: a runner token of the shared pool" }),
  })
  .strict()
  .openapi("CreateToken");

/** /tokens: the workspace's API tokens with their roles; the secret is shown once, at creation. */
export function tokenRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/tokens",
      summary: "Issue a token with a role; the answer is the only time its secret is shown",
      request: { body: { required: true, content: { "application/json": { schema: CreateTokenSchema } } } },
      responses: { 201: jsonContent(TokenCreatedSchema, "The token and its secret"), ...errorResponses(400, 401, 403) },
    }),
    async (c) => c.json(await createToken(deps.pool, c.get("principal"), c.req.valid("json")), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/tokens",
      summary: "The workspace's live tokens: names, roles, when created and last used (never the secret)",
      responses: { 200: jsonContent(z.object({ tokens: z.array(TokenSchema) }), "Tokens"), ...errorResponses(401, 403) },
    }),
    async (c) => c.json({ tokens: await tokensOf(deps.pool, c.get("principal")) }, 200),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/tokens/{id}",
      summary: "Revoke a token at once: its requests get 401 and its open streams and runner connections close",
      request: { params: IdParam },
      responses: { 204: { description: "Revoked; no body" }, ...errorResponses(401, 403, 404, 409) },
    }),
    async (c) => {
      const id = c.req.valid("param").id;
      await revokeTokenOf(deps.pool, c.get("principal"), id);
      // This process lets go of it now, without waiting for its own NOTIFY (others do when theirs arrives).
      deps.revocations?.revokedHere(id);
      return c.body(null, 204);
    },
  );
}
