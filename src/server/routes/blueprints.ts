import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { startBlueprintBuild } from "../../blueprints/build.ts";
import { chat } from "../../blueprints/chat.ts";
import { MAX_REFERENCE_BYTES } from "../../blueprints/references.ts";
import { archive, captureReference, createBlueprint, getBlueprintWithMessages, listBlueprints, referenceFile, removeBlueprint, uploadReference, type BlueprintDeps } from "../../blueprints/service.ts";
import { BlueprintView, ChatInput, CreateBlueprintInput, MessageView, ReferenceInput, ReferenceView } from "../../blueprints/schemas.ts";
import { ShipyardError } from "../../domain/errors.ts";
import type { AppEnv } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { errorResponses, IdParam, jsonContent } from "../schemas.ts";

const BlueprintSchema = z.object(BlueprintView.shape).openapi("Blueprint");
const ReferenceSchema = z.object(ReferenceView.shape).openapi("Reference");
const binary = (type: string, description: string) => ({ description, content: { [type]: { schema: z.string().openapi({ format: "binary" }) } } });

/** The upload path, whose body may be larger than the API's general limit: app.ts applies referenceUploadLimit to it instead. */
export const REFERENCE_UPLOAD_PATH = /^\/api\/v1\/blueprints\/[^/]+\/references$/;

/** The body limit of reference uploads (before any middleware reads the body). */
export const referenceUploadLimit = bodyLimit({
  maxSize: MAX_REFERENCE_BYTES,
  onError: (c) => {
    c.header("connection", "close");
    throw new ShipyardError("payload_too_large", `a reference image may be at most ${MAX_REFERENCE_BYTES} bytes`, 413);
  },
});

/** /projects/{id}/blueprints, /blueprints and /references: the Architect chat, its plans and design references. */
export function blueprintRoutes(deps: ServerDeps, app: OpenAPIHono<AppEnv>): void {
  const bp: BlueprintDeps = { pool: deps.pool, secrets: deps.secrets, cassettesDir: deps.cassettesDir, llmMetrics: deps.metrics.llm, outbound: deps.outbound, workflows: deps.workflows, dataDir: deps.previews?.dataDir };
  const ws = (c: { get(k: "principal"): { workspaceId: string } }) => c.get("principal").workspaceId;

  app.openapi(
    createRoute({
      method: "post",
      path: "/projects/{id}/blueprints",
      summary: "Start a blueprint for a feature of the project (every section empty)",
      request: { params: IdParam, body: { required: true, content: { "application/json": { schema: CreateBlueprintInput } } } },
      responses: { 201: jsonContent(BlueprintSchema, "The blueprint"), ...errorResponses(400, 401, 404, 409) },
    }),
    async (c) => c.json(await createBlueprint(deps.pool, ws(c), c.req.valid("param").id, c.req.valid("json").featureName), 201),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/projects/{id}/blueprints",
      summary: "A project's blueprints, newest first",
      request: { params: IdParam },
      responses: { 200: jsonContent(z.object({ blueprints: z.array(BlueprintSchema) }), "Blueprints"), ...errorResponses(401, 404) },
    }),
    async (c) => c.json({ blueprints: await listBlueprints(deps.pool, ws(c), c.req.valid("param").id) }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/blueprints/{id}",
      summary: "One blueprint with its conversation (each Architect message carries the blueprint as it stood after that turn)",
      request: { params: IdParam },
      responses: { 200: jsonContent(BlueprintSchema.extend({ messages: z.array(MessageView) }), "The blueprint"), ...errorResponses(401, 404) },
    }),
    async (c) => c.json(await getBlueprintWithMessages(deps.pool, ws(c), c.req.valid("param").id), 200),
  );
  app.openapi(
    createRoute({
      method: "delete",
      path: "/blueprints/{id}",
      summary: "Delete a blueprint, its messages and references (not while it is building)",
      request: { params: IdParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(401, 404, 409) },
    }),
    async (c) => {
      await removeBlueprint(bp, ws(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/blueprints/{id}/archive",
      summary: "Archive a blueprint: kept with its history, no longer chatted with or built",
      request: { params: IdParam },
      responses: { 200: jsonContent(BlueprintSchema, "The blueprint"), ...errorResponses(401, 404, 409) },
    }),
    async (c) => c.json(await archive(deps.pool, ws(c), c.req.valid("param").id), 200),
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/blueprints/{id}/chat",
      summary: "One turn with the Architect: it updates the plan from the message (and the references' images) and replies",
      request: { params: IdParam, body: { required: true, content: { "application/json": { schema: ChatInput } } } },
      responses: { 200: jsonContent(z.object({ reply: z.string(), blueprint: BlueprintSchema }), "The reply and the blueprint after the turn"), ...errorResponses(400, 401, 404, 409, 422) },
    }),
    async (c) => c.json(await chat(bp, ws(c), c.req.valid("param").id, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/blueprints/{id}/references",
      summary: "Add a design reference: an image as the body (PNG, JPEG or WebP, checked from its bytes; ?name= its file name), or JSON {type: url, source} to capture a page",
      request: {
        params: IdParam,
        query: z.object({ name: z.string().max(200).optional() }),
        // Documented, not validated here: the handler reads the body by its type (JSON is checked against ReferenceInput).
        body: { content: { "application/json": { schema: ReferenceInput }, "image/png": { schema: z.string().openapi({ format: "binary" }) }, "image/jpeg": { schema: z.string() }, "image/webp": { schema: z.string() }, "application/octet-stream": { schema: z.string() } } },
      },
      responses: { 201: jsonContent(ReferenceSchema, "The stored reference"), ...errorResponses(400, 401, 404, 409, 413, 422) },
    }),
    async (c) => {
      const id = c.req.valid("param").id;
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (type === "application/json") {
        const input = ReferenceInput.safeParse(await c.req.json().catch(() => null));
        if (!input.success || input.data.type !== "url") throw new ShipyardError("invalid_request", "send JSON {type: \"url\", source: URL}, or the image's bytes as the body", 400);
        return c.json(await captureReference(bp, ws(c), id, input.data.source), 201);
      }
      if (!type.startsWith("image/") && type !== "application/octet-stream") throw new ShipyardError("unsupported_media_type", "send the image's bytes (Content-Type image/png, image/jpeg or image/webp), or JSON {type: url, source}", 415);
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      return c.json(await uploadReference(bp, ws(c), id, bytes, c.req.valid("query").name), 201);
    },
  );
  for (const which of ["image", "thumbnail"] as const) {
    app.openapi(
      createRoute({
        method: "get",
        path: `/references/{id}/${which}`,
        summary: which === "image" ? "A design reference's image (the upload, or the page's full screenshot)" : "A design reference's 320x200 thumbnail (PNG)",
        request: { params: IdParam },
        responses: { 200: binary("image/png", "The image"), ...errorResponses(401, 404) },
      }),
      async (c) => {
        const file = await referenceFile(bp, ws(c), c.req.valid("param").id, which);
        return c.body(new Uint8Array(file.bytes), 200, { "content-type": file.type, "cache-control": "private, max-age=3600", "x-content-type-options": "nosniff" });
      },
    );
  }
  app.openapi(
    createRoute({
      method: "post",
      path: "/blueprints/{id}/build",
      summary: "Build the blueprint: its spec is committed to docs/specs/<slug>.md and built (spec, design, implement, test, deploy); 409 with the blockers while it is not ready",
      request: { params: IdParam },
      responses: { 202: jsonContent(z.object({ operationId: z.string(), buildId: z.string(), blueprint: BlueprintSchema }), "The build, started"), ...errorResponses(400, 401, 404, 409, 422) },
    }),
    async (c) => c.json(await startBlueprintBuild(bp, ws(c), c.req.valid("param").id), 202),
  );
}
