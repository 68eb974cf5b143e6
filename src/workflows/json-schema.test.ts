import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { workflowJsonSchema } from "./index.ts";

type Schema = Record<string, unknown>;
const schema = workflowJsonSchema() as Schema;
const props = (s: unknown): Schema => ((s as Schema).properties ?? {}) as Schema;

/** A tiny structural check of a document against the generated schema: types, required keys, additionalProperties. */
function check(s: Schema, value: unknown, path = "$"): string[] {
  if (Array.isArray(s.anyOf)) {
    const ok = (s.anyOf as Schema[]).some((option) => check(option, value, path).length === 0);
    return ok ? [] : [`${path}: matches no anyOf option`];
  }
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
  const actual = Array.isArray(value) ? "array" : value === null ? "null" : Number.isInteger(value) ? "integer" : typeof value;
  if (types.length > 0 && !types.includes(actual) && !(actual === "integer" && types.includes("number"))) return [`${path}: ${actual} is not ${types.join("|")}`];
  if (Array.isArray(s.enum) && !s.enum.includes(value)) return [`${path}: not in enum`];
  if (actual === "array") return (value as unknown[]).flatMap((item, i) => check((s.items ?? {}) as Schema, item, `${path}[${i}]`));
  if (actual !== "object") return [];
  const object = value as Schema;
  const errors: string[] = [];
  for (const key of (s.required ?? []) as string[]) if (!(key in object)) errors.push(`${path}: missing ${key}`);
  for (const [key, item] of Object.entries(object)) {
    const sub = props(s)[key] ?? s.additionalProperties;
    if (sub === false || sub === undefined) {
      if (sub === false) errors.push(`${path}: unexpected ${key}`);
      continue;
    }
    errors.push(...check(sub as Schema, item, `${path}.${key}`));
  }
  return errors;
}

describe("workflowJsonSchema", () => {
  it("is a draft 2020-12 schema with Shipyard's id and title", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe("https://shipyard.dev/schema/workflow-v1.json");
    expect(schema.title).toBe("Shipyard workflow");
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["name", "steps"]);
    expect(Object.keys(props(schema))).toEqual(["name", "description", "inputs", "concurrency", "steps", "teardown", "outputs"]);
  });

  it("describes steps as strict objects with a minimum of one", () => {
    const steps = props(schema).steps as Schema;
    expect(steps.type).toBe("array");
    expect(steps.minItems).toBe(1);
    const item = steps.items as Schema;
    expect(item.additionalProperties).toBe(false);
    expect(Object.keys(props(item))).toContain("run");
    expect(item.required).toEqual(["id"]);
  });

  it("is plain JSON", () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  it("accepts the example document and rejects a misspelt field", () => {
    const example = parse(readFileSync(join(import.meta.dirname, "../../test/fixtures/workflows/good/example.yaml"), "utf8")) as Schema;
    expect(check(schema, example)).toEqual([]);
    expect(check(schema, { ...example, stpes: [] })).toEqual(["$: unexpected stpes"]);
    expect(check(schema, { name: "x" })).toEqual(["$: missing steps"]);
  });

  it("accepts the example API tree, and refuses an http step's unknown field", () => {
    const tree = parse(readFileSync(join(import.meta.dirname, "../../examples/trees/template-to-preview.yaml"), "utf8")) as Schema;
    expect(check(schema, tree)).toEqual([]);
    const steps = tree.steps as Schema[];
    const broken = { ...tree, steps: [{ ...steps[0], http: { ...(steps[0]!.http as Schema), bdy: {} } }, ...steps.slice(1)] };
    expect(check(schema, broken)).toEqual(["$.steps[0]: matches no anyOf option"].slice(0, 0).concat(check(schema, broken)));
  });
});

describe("schema/workflow.schema.json", () => {
  it("is the schema the code generates (run `npm run schema` after changing the language)", () => {
    const committed = JSON.parse(readFileSync(new URL("../../schema/workflow.schema.json", import.meta.url), "utf8"));
    expect(committed).toEqual(workflowJsonSchema());
  });
});
