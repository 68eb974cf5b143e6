import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MAX_ALIAS_EXPANSION, MAX_DOCUMENT_DEPTH, MAX_WORKFLOW_CHARS } from "./document-limits.ts";
import { parseExpression } from "./expression-parser.ts";
import { ExpressionError, interpolate, parseWorkflow, WorkflowDocumentSchema, type WorkflowIssue } from "./index.ts";

/** Issues of text that must be invalid, as [code, path, line, column]. */
function issuesOf(text: string): WorkflowIssue[] {
  const result = parseWorkflow(text, "w.yaml");
  if (result.ok) throw new Error("expected the workflow to be rejected");
  return result.errors;
}
const brief = (issues: WorkflowIssue[]) => issues.map((i) => [i.code, i.path, i.line, i.column]);
const oneStep = (extra: string) => `name: x\nsteps:\n  - id: a\n    run: echo\n${extra}`;

describe("YAML resource limits", () => {
  it("refuses a billion-laughs document, naming the limit and the alias that crosses it (it used to throw: a 500)", () => {
    let text = "name: x\nsteps: [{ id: a, run: echo }]\ndescription: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
    const levels = ["concurrency", "outputs", "inputs", "teardown"];
    // Anchors on fields that the schema refuses anyway: the expansion is refused before anything else looks.
    levels.forEach((key, i) => {
      text += `${key}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(", ")}]\n`;
    });
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: "too_many_aliases", line: 6, path: "inputs[7]" });
    expect(issues[0]?.message).toContain(`more than ${MAX_ALIAS_EXPANSION} values (the limit)`);
  });

  it("still accepts ordinary anchors and aliases", () => {
    const text = "name: x\nsteps:\n  - id: a\n    env: &shared { A: 1, B: 2 }\n    run: echo\n  - id: b\n    env: *shared\n    run: echo\n";
    const result = parseWorkflow(text);
    expect(result.ok && result.workflow.steps[1]?.env).toEqual({ A: "1", B: "2" });
  });

  it("refuses documents nested deeper than the limit, whether YAML can compose them or not", () => {
    const nested = (n: number) => oneStep(`    env: { A: 1 }\n    retry: ${"[".repeat(n)}${"]".repeat(n)}\n`);
    const deep = issuesOf(nested(MAX_DOCUMENT_DEPTH + 5));
    expect(deep.map((i) => i.code)).toEqual(["too_deep"]);
    expect(deep[0]?.message).toBe(`the document is nested more than ${MAX_DOCUMENT_DEPTH} levels deep (the limit)`);
    expect(deep[0]?.line).toBe(6);
    const tooDeepToParse = issuesOf(nested(20_000));
    expect(tooDeepToParse.map((i) => i.code)).toEqual(["too_deep"]);
    expect(tooDeepToParse[0]?.message).toContain(`the limit is ${MAX_DOCUMENT_DEPTH} levels`);
  });

  it("refuses a document over the size limit", () => {
    const issues = issuesOf(oneStep(`    name: "${"x".repeat(MAX_WORKFLOW_CHARS)}"\n`));
    expect(issues.map((i) => [i.code, i.line])).toEqual([["too_large", 1]]);
    expect(issues[0]?.message).toMatch(new RegExp(`^the workflow is \\d+ characters long; the limit is ${MAX_WORKFLOW_CHARS}$`));
  });

  it("refuses NUL and unpaired surrogates written as YAML escapes, in values and keys, at their position", () => {
    const issues = issuesOf(oneStep('    env:\n      A: "x\\0y"\n      "B\\uD800": z\n'));
    expect(brief(issues)).toEqual([
      ["invalid_text", "steps[0].env.A", 6, 10],
      ["invalid_text", "steps[0].env", 7, 7],
    ]);
    expect(issues[0]?.message).toBe("the value contains a NUL character (U+0000)");
    expect(issuesOf('name: "a\\uDC00"\nsteps: [{ id: a, run: echo }]\n').map((i) => i.code)).toEqual(["invalid_text"]);
  });
});

describe("expression depth", () => {
  it("bounds nesting with a located validation error instead of overflowing the stack", () => {
    const issues = issuesOf(oneStep(`    env: { A: "\${{ ${"(".repeat(5000)}1${")".repeat(5000)} }}" }\n`));
    expect(issues.map((i) => [i.code, i.path])).toEqual([["bad_expression", "steps[0].env.A"]]);
    expect(issues[0]?.message).toContain("nested more than 64 levels deep (the limit)");
    expect(issues[0]?.message.length).toBeLessThan(300);
    for (const src of ["!".repeat(20_000) + "true", Array(20_000).fill("true").join(" || "), "inputs" + ".a".repeat(20_000), "format('{0}', " + "toJSON(".repeat(5000) + "1" + ")".repeat(5001)]) {
      expect(() => parseExpression(src)).toThrow(/nested more than 64 levels/);
    }
    expect(() => parseExpression(`${"(".repeat(60)}steps.a.outputs.x == 'y' || inputs.z${")".repeat(60)}`)).not.toThrow();
  });
});

describe("expression values", () => {
  it("refuses to interpolate a value with a NUL or an unpaired surrogate into a command, env or output", () => {
    const ctx = { inputs: { j: '"a\\u0000b"', s: '"\\udc00"', ok: '"fine"' }, steps: {} };
    expect(() => interpolate("echo ${{ fromJSON(inputs.j) }}", ctx)).toThrow(new ExpressionError("its value contains a NUL character (U+0000)", 9));
    expect(() => interpolate("${{ fromJSON(inputs.s) }}", ctx)).toThrow(/unpaired surrogate/);
    expect(interpolate("echo ${{ fromJSON(inputs.ok) }}", ctx)).toBe("echo fine");
  });
});

describe("identifiers", () => {
  it("limits step ids, input names, output names and env names in length (a 5,000-character id failed later with ENAMETOOLONG)", () => {
    // YAML itself caps implicit keys at 1024 characters, so the names used as keys are 100 long.
    const long = "a".repeat(5000);
    const key = "k".repeat(100);
    const issues = issuesOf(`name: x\ninputs:\n  ${key}: { type: string }\nsteps:\n  - id: ${long}\n    outputs: [${long}]\n    env: { ${"E".repeat(200)}: 1 }\n    run: echo\noutputs:\n  ${key}: x\n`);
    expect(issues.map((i) => [i.code, i.path, i.message])).toEqual([
      ["bad_value", `inputs.${key}`, "input name must be at most 64 characters long"],
      ["bad_value", "steps[0].id", "step id must be at most 64 characters long"],
      ["bad_value", "steps[0].outputs[0]", "output name must be at most 64 characters long"],
      ["bad_value", `steps[0].env.${"E".repeat(200)}`, "env names must be at most 128 characters long"],
      ["bad_value", `outputs.${key}`, "output name must be at most 64 characters long"],
    ]);
    expect(parseWorkflow(`name: x\nsteps:\n  - id: ${"a".repeat(64)}\n    run: echo\n`).ok).toBe(true);
  });

  it("refuses env names no environment can carry", () => {
    expect(issuesOf(oneStep('    env: { "A=B": 1 }\n')).map((i) => i.message)).toEqual([
      'env name "A=B" must start with a letter or _ and contain only letters, digits and _',
    ]);
  });

  it("refuses __proto__ (which used to vanish from the inputs) and the other prototype names as declared names", () => {
    const proto = issuesOf("name: x\ninputs:\n  __proto__: { type: string }\nsteps: [{ id: a, run: echo }]\n");
    expect(brief(proto)).toEqual([["bad_value", "inputs", 3, 3]]);
    expect(proto[0]?.message).toBe('"__proto__" is reserved and cannot be a name or key; choose another');
    const inSchema = issuesOf("name: x\nsteps:\n  - id: a\n    llm: { prompt: hi, schema: { type: object, properties: { __proto__: { type: string } } } }\n");
    expect(inSchema.map((i) => [i.code, i.path])).toEqual([["bad_value", "steps[0].llm.schema.properties"]]);
    expect(issuesOf("name: x\ninputs:\n  constructor: { type: string }\nsteps: [{ id: a, run: echo }]\n").map((i) => i.code)).toEqual(["bad_value"]);
    expect(issuesOf("name: x\nsteps: [{ id: prototype, run: echo }]\n").map((i) => i.message)).toEqual(['step id "prototype" is reserved; choose another name']);
  });
});

describe("working-directory", () => {
  it("is kept as written when it is a path inside the workspace", () => {
    const result = parseWorkflow(oneStep("    working-directory: sub/dir\n"));
    expect(result.ok && result.workflow.steps[0]?.workingDirectory).toBe("sub/dir");
  });

  it("refuses absolute paths, .. and expressions, at the value's line and column", () => {
    for (const [dir, message] of [
      ["../../../../etc", '"working-directory" must stay inside the run\'s workspace: ".." is not allowed ("../../../../etc")'],
      ["sub/../../x", '"working-directory" must stay inside the run\'s workspace: ".." is not allowed ("sub/../../x")'],
      ["/etc", '"working-directory" must be relative to the run\'s workspace, not absolute ("/etc")'],
      ["~/x", '"working-directory" must be relative to the run\'s workspace, not absolute ("~/x")'],
      ['""', '"working-directory" must not be empty; leave it out to run in the workspace itself'],
      ["${{ inputs.d }}", '"working-directory" must be a plain path: expressions are not evaluated in it'],
    ]) {
      const issues = issuesOf(oneStep(`    working-directory: ${dir}\n`));
      expect(issues.map((i) => [i.code, i.path, i.line, i.column, i.message]), dir).toEqual([["bad_value", "steps[0].working-directory", 5, 24, message]]);
    }
  });

  it("refuses the fields an llm step would silently ignore", () => {
    const issues = issuesOf("name: x\nsteps:\n  - id: a\n    llm: { model: replay:demo, prompt: hi }\n    env: { A: 1 }\n    outputs: [x]\n    working-directory: sub\n");
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ["unused_field", "steps[0].env"],
      ["unused_field", "steps[0].outputs"],
      ["unused_field", "steps[0].working-directory"],
    ]);
  });
});

describe("unknown fields", () => {
  /** Every object schema reachable from `schema`, with where it was found. */
  function objects(schema: z.ZodType, at: string, seen = new Set<unknown>()): { at: string; schema: z.ZodObject }[] {
    if (seen.has(schema)) return [];
    seen.add(schema);
    const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    const children: [string, unknown][] = [];
    if (def.type === "object") children.push(...Object.entries(def.shape as Record<string, unknown>).map(([k, v]) => [`${at}.${k}`, v] as [string, unknown]));
    for (const key of ["innerType", "in", "out", "element", "valueType", "left", "right"]) if (def[key]) children.push([at, def[key]]);
    if (Array.isArray(def.options)) children.push(...def.options.map((o: unknown) => [at, o] as [string, unknown]));
    const own = def.type === "object" ? [{ at, schema: schema as z.ZodObject }] : [];
    return [...own, ...children.flatMap(([where, child]) => objects(child as z.ZodType, where, seen))];
  }

  it("every mapping of the language is strict, so a misspelt or unsupported field is an error, never ignored", () => {
    const found = objects(WorkflowDocumentSchema, "workflow");
    expect(found.map((o) => o.at)).toEqual(expect.arrayContaining(["workflow", "workflow.inputs", "workflow.steps", "workflow.steps.retry", "workflow.steps.llm", "workflow.steps.agent"]));
    const loose = found.filter((o) => (o.schema._zod.def.catchall as { _zod?: { def: { type: string } } } | undefined)?._zod?.def.type !== "never");
    expect(loose.map((o) => o.at)).toEqual([]);
    for (const [text, path] of [
      ["name: x\nstepz: []\nsteps: [{ id: a, run: echo }]\n", "stepz"],
      ["name: x\ninputs: { a: { type: string, secret: true } }\nsteps: [{ id: a, run: echo }]\n", "inputs.a.secret"],
      [oneStep("    workdir: sub\n"), "steps[0].workdir"],
      [oneStep("    retry: { max: 1, delay: 2s }\n"), "steps[0].retry.delay"],
      ["name: x\nsteps: [{ id: a, llm: { prompt: hi, temperature: 0 } }]\n", "steps[0].llm.temperature"],
      ["name: x\nsteps: [{ id: a, agent: { prompt: hi, tools: [] } }]\n", "steps[0].agent.tools"],
    ] as const) {
      expect(issuesOf(text).map((i) => [i.code, i.path])).toEqual([["unknown_field", path]]);
    }
  });
});
