// Third-party JSON Schemas (compose-spec) checked with Ajv. Strict mode would object to those schemas' own style
// (union types, unknown formats), not to the documents checked, so it is off here.
import { createRequire } from "node:module";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

const draft07 = createRequire(import.meta.url)("ajv/dist/refs/json-schema-draft-07.json") as object;

/** Compile `schema` once; draft-07 is also known under its https address, as compose-spec names it. */
export function compileSchema(schema: object): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addMetaSchema({ ...draft07, $id: "https://json-schema.org/draft-07/schema" });
  return ajv.compile(schema);
}

/** Ajv's errors as one line each: where (a JSON pointer) and what, naming a refused key. */
export function schemaErrors(errors: ErrorObject[] | null | undefined): { pointer: string; message: string }[] {
  return (errors ?? []).map((e) => {
    const extra = e.keyword === "additionalProperties" ? `: ${String((e.params as { additionalProperty?: unknown }).additionalProperty)}` : "";
    return { pointer: e.instancePath || "/", message: `${e.message ?? e.keyword}${extra}` };
  });
}
