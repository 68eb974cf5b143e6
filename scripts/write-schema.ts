// Writes schema/workflow.schema.json (the workflow language's JSON Schema, for editors) from the zod schema.
import { writeFileSync } from "node:fs";
import { workflowJsonSchema } from "../src/workflows/index.ts";

writeFileSync(new URL("../schema/workflow.schema.json", import.meta.url), JSON.stringify(workflowJsonSchema(), null, 2) + "\n");
console.log("wrote schema/workflow.schema.json");
