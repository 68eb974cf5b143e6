import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { parseWorkflow, workflowJsonSchema } from "../../workflows/index.ts";
import type { AppEnv } from "../auth.ts";
import { errorResponses, ValidateSchema, ValidationResultSchema } from "../schemas.ts";

/** /workflows: validation and the JSON Schema of the workflow language. */
export function workflowRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/workflows/validate",
      summary: "Validate a workflow document; problems carry line and column",
      request: { body: { required: true, content: { "application/json": { schema: ValidateSchema } } } },
      responses: {
        200: { description: "Validation result", content: { "application/json": { schema: ValidationResultSchema } } },
        ...errorResponses(400, 401, 413),
      },
    }),
    (c) => {
      const body = c.req.valid("json");
      const result = parseWorkflow(body.workflow, body.file ?? "workflow.yaml");
      return c.json(result.ok ? { valid: true, errors: [], workflow: result.workflow } : { valid: false, errors: result.errors }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/workflows/schema",
      summary: "JSON Schema of the workflow language (for editors: public, usable as a `$schema` URL)",
      security: [],
      responses: { 200: { description: "JSON Schema", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } } },
    }),
    (c) => c.json(workflowJsonSchema() as Record<string, unknown>, 200),
  );
}
