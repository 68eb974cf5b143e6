import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { WebhookSubscriptionSchema } from "../../webhooks/events.ts";
import { createWebhook, deleteWebhook, listWebhookDeliveries, listWebhooks, redeliverWebhook } from "../../webhooks/service.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, IdParam, jsonContent } from "../schemas.ts";

// The signing secret is in the POST answer only: no other response carries it, and nothing here logs a body.

export const WebhookSchema = z
  .object({
    id: z.string().openapi({ example: "whk_01jd3k4m5n6p7q8r9s0t1v2w3x" }),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean().openapi({ description: "false once the receiver answered 410 Gone: it is sent nothing more" }),
    disabledReason: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Webhook");

const WebhookCreatedSchema = WebhookSchema.extend({
  secret: z.string().openapi({ description: "The whsec_ signing secret: shown once, store it now", example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
}).openapi("WebhookCreated");

const CreateWebhookSchema = z
  .object({
    url: z.string().min(1).max(2000).openapi({ description: "https (or http to a host the operator allows), public addresses only unless allowed" }),
    events: z.array(WebhookSubscriptionSchema).min(1).max(50).openapi({ description: "Event types to receive; `*` for all" }),
    description: z.string().max(500).optional(),
  })
  .strict()
  .openapi("CreateWebhook");

const AttemptSchema = z
  .object({
    round: z.number().int().openapi({ description: "1, then +1 per redelivery" }),
    attempt: z.number().int(),
    at: z.string(),
    durationMs: z.number().int(),
    responseStatus: z.number().int().nullable(),
    error: z.string().nullable(),
  })
  .openapi("WebhookAttempt");

export const DeliverySchema = z
  .object({
    id: z.string().openapi({ description: "The webhook-id header: the same on every attempt and redelivery", example: "msg_01jd3k4m5n6p7q8r9s0t1v2w3x" }),
    endpointId: z.string(),
    type: z.string(),
    status: z.enum(["pending", "delivered", "failed"]),
    round: z.number().int(),
    error: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    attempts: z.array(AttemptSchema),
  })
  .openapi("WebhookDelivery");

/** /webhooks and /deliveries: a workspace's signed webhook endpoints and what was sent to them. */
export function webhookRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/webhooks",
      summary: "Add a webhook endpoint; the answer is the only time its signing secret is shown",
      request: { body: { required: true, content: { "application/json": { schema: CreateWebhookSchema } } } },
      responses: { 201: jsonContent(WebhookCreatedSchema, "The endpoint and its secret"), ...errorResponses(400, 401, 403, 422) },
    }),
    async (c) => c.json(await createWebhook(deps, c.get("principal").workspaceId, c.req.valid("json")), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/webhooks",
      summary: "The workspace's webhook endpoints (never their secrets)",
      responses: { 200: jsonContent(z.object({ webhooks: z.array(WebhookSchema) }), "Endpoints"), ...errorResponses(401) },
    }),
    async (c) => c.json({ webhooks: await listWebhooks(deps.pool, c.get("principal").workspaceId) }, 200),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/webhooks/{id}",
      summary: "Delete a webhook endpoint and its deliveries",
      request: { params: IdParam },
      responses: { 204: { description: "Deleted; no body" }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      await deleteWebhook(deps.pool, c.get("principal").workspaceId, c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/webhooks/{id}/deliveries",
      summary: "An endpoint's newest deliveries, each with every attempt (time, duration, response status or error)",
      request: { params: IdParam, query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }) },
      responses: { 200: jsonContent(z.object({ deliveries: z.array(DeliverySchema) }), "Deliveries"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { limit } = c.req.valid("query");
      return c.json({ deliveries: await listWebhookDeliveries(deps.pool, c.get("principal").workspaceId, id, limit) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/deliveries/{id}/redeliver",
      summary: "Send a settled delivery again: the same webhook-id, a fresh sequence of attempts",
      request: { params: IdParam },
      responses: {
        202: jsonContent(z.object({ id: z.string(), round: z.number().int() }), "Redelivery started"),
        ...errorResponses(401, 403, 404, 409),
      },
    }),
    async (c) => c.json(await redeliverWebhook(deps, c.get("principal").workspaceId, c.req.valid("param").id), 202),
  );
}
