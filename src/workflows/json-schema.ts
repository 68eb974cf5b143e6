/** JSON Schema for workflow files, for editors (e.g. the YAML language server) and API clients. */
import { z } from "zod";
import { WorkflowDocumentSchema } from "./schema.ts";

/** The `$id` of the published schema; bump the version with the language. */
export const WORKFLOW_SCHEMA_ID = "https://shipyard.dev/schema/workflow-v1.json";

/** Builds the draft 2020-12 JSON Schema of the YAML workflow document (the form people write, before normalization). */
export function workflowJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(WorkflowDocumentSchema, { io: "input", target: "draft-2020-12", unrepresentable: "any" });
  const { $schema, ...rest } = generated as Record<string, unknown>;
  return {
    $schema: $schema ?? "https://json-schema.org/draft/2020-12/schema",
    $id: WORKFLOW_SCHEMA_ID,
    title: "Shipyard workflow",
    description: "A Shipyard workflow (language v1): inputs, a DAG of steps, teardown steps and outputs.",
    ...rest,
  };
}
