// Third-party JSON Schemas (compose-spec) checked with Ajv. Strict mode would object to those schemas' own style
// (union types, unknown formats), not to the documents checked, so it is off here.
import { createRequire } from "node:module";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

const draft07 = createRequire(import.meta.url)("ajv/dist/refs/json-schema-draft-07.json") as object;

/** Compile `schema`; draft-07 is also known under its https address, as compose-spec names it. */
export function compileSchema(schema: object): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addMetaSchema({ ...draft07, $id: "https://json-schema.org/draft-07/schema" });
  return ajv.compile(schema);
}

// Compiling is most of a check's cost, and a generator writes the same schema for every app.
const compiled = new Map<string, ValidateFunction>();
const COMPILED_KEPT = 16;

/** compileSchema for a schema given as JSON text, reusing the last few compiled; throws when it is no schema. */
export function compileSchemaText(text: string): ValidateFunction {
  const hit = compiled.get(text);
  if (hit) return hit;
  const validate = compileSchema(JSON.parse(text) as object);
  if (compiled.size >= COMPILED_KEPT) compiled.delete(compiled.keys().next().value!);
  compiled.set(text, validate);
  return validate;
}

/** Ajv's errors as one line each: where (a JSON pointer) and what, naming a refused key. */
export function schemaErrors(errors: ErrorObject[] | null | undefined): { pointer: string; message: string }[] {
  return (errors ?? []).map((e) => {
    const extra = e.keyword === "additionalProperties" ? `: ${String((e.params as { additionalProperty?: unknown }).additionalProperty)}` : "";
    return { pointer: e.instancePath || "/", message: `${e.message ?? e.keyword}${extra}` };
  });
}
