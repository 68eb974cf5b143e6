import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatIssue, knownOutputs, parseWorkflow, type WorkflowIssue } from "./index.ts";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/workflows");
const read = (dir: string, file: string): string => readFileSync(join(FIXTURES, dir, file), "utf8");
const yamlFiles = (dir: string): string[] => readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith(".yaml")).sort();

/** Parses text that must be invalid and returns the issues. */
function issuesOf(text: string): WorkflowIssue[] {
  const result = parseWorkflow(text, "w.yaml");
  if (result.ok) throw new Error("expected the workflow to be rejected");
  return result.errors;
}

describe("parseWorkflow: the example document", () => {
  it("normalizes every step exactly", () => {
    const result = parseWorkflow(read("good", "example.yaml"), "example.yaml");
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join("\n"));
    expect(result.workflow).toEqual({
      name: "hello",
      inputs: { who: { type: "string", default: "world" } },
      concurrency: "hello-${{ inputs.who }}",
      steps: [
        {
          id: "greet",
          kind: "run",
          run: 'echo "hello ${{ inputs.who }}"\necho "greeting=hello ${{ inputs.who }}" >> "$SHIPYARD_OUTPUT"\n',
          needs: [],
          env: {},
          retry: { max: 0, backoffMs: 1000 },
        },
        {
          id: "shout",
          kind: "run",
          run: 'echo "$GREETING" | tr a-z A-Z',
          needs: ["greet"],
          if: "${{ inputs.who != 'nobody' }}",
          env: { GREETING: "${{ steps.greet.outputs.greeting }}" },
          timeoutMs: 30_000,
          retry: { max: 2, backoffMs: 1000 },
        },
      ],
      teardown: [{ id: "bye", kind: "run", run: "echo bye", needs: [], env: {}, retry: { max: 0, backoffMs: 1000 } }],
      outputs: { greeting: "${{ steps.greet.outputs.greeting }}" },
    });
  });

  it("normalizes scalar needs, numeric env values, compound durations and working-directory", () => {
    const result = parseWorkflow(
      [
        "name: n",
        "steps:",
        "  - id: a",
        "    run: echo a",
        "  - id: b",
        "    name: second",
        "    needs: a",
        "    env: { N: 3, FLAG: true, S: x }",
        "    timeout: 1h30m",
        "    retry: { max: 10, backoff: 500ms }",
        "    outputs: [x]",
        "    working-directory: sub/dir",
        "    if: false",
        "    run: echo b",
        "  - id: c",
        "    needs: [a, b]",
        "    timeout: 2.5",
        "    workingDirectory: other",
        "    run: echo c",
      ].join("\n"),
    );
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join("\n"));
    const [, b, c] = result.workflow.steps;
    expect(b).toEqual({
      id: "b",
      kind: "run",
      name: "second",
      needs: ["a"],
      env: { N: "3", FLAG: "true", S: "x" },
      timeoutMs: 5_400_000,
      retry: { max: 10, backoffMs: 500 },
      outputs: ["x"],
      workingDirectory: "sub/dir",
      if: "false",
      run: "echo b",
    });
    expect(c?.timeoutMs).toBe(2500);
    expect(c?.workingDirectory).toBe("other");
    expect(result.workflow.teardown).toEqual([]);
  });
});

describe("parseWorkflow: llm steps", () => {
  it("normalizes an llm step with and without a schema, and knows its outputs", () => {
    const result = parseWorkflow(read("good", "llm.yaml"), "llm.yaml");
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join("\n"));
    const [read_, summarize, classify, publish] = result.workflow.steps;
    expect(read_?.kind).toBe("run");
    expect(summarize).toEqual({
      id: "summarize",
      kind: "llm",
      llm: { model: "replay:demo", prompt: "Summarize ${{ inputs.topic }}: ${{ steps.read.outputs.text }}" },
      needs: ["read"],
      env: {},
      timeoutMs: 120_000,
      retry: { max: 1, backoffMs: 2000 },
    });
    expect(classify).toMatchObject({ kind: "llm", if: "${{ steps.read.status == 'succeeded' }}", llm: { model: "ollama:llama3.1:8b" } });
    expect(classify?.kind === "llm" && classify.llm.schema).toEqual({
      type: "object",
      properties: { kind: { type: "string", enum: ["feature", "fix", "chore"] }, confidence: { type: "number" } },
      required: ["kind", "confidence"],
    });
    expect(summarize && knownOutputs(summarize)).toEqual(new Set(["text"]));
    expect(classify && knownOutputs(classify)).toEqual(new Set(["kind", "confidence"]));
    expect(publish?.kind).toBe("run");
  });

  it("accepts models with colons and rejects specs missing either side", () => {
    const wf = (model: string) => `name: x\nsteps:\n  - id: a\n    llm: { model: "${model}", prompt: hi }\n`;
    expect(parseWorkflow(wf("openai-compatible:my-vllm:qwen")).ok).toBe(true);
    for (const bad of ["replay:", ":demo", "demo", ""]) {
      const issues = issuesOf(wf(bad));
      expect(issues.map((i) => [i.code, i.path]), bad).toEqual([["bad_value", "steps[0].llm.model"]]);
    }
  });

  it("checks references in the prompt like a run script's", () => {
    const issues = issuesOf(["name: x", "steps:", "  - id: a", "    llm: { model: replay:demo, prompt: '${{ inputs.nope }}' }"].join("\n"));
    expect(issues.map((i) => [i.code, i.path])).toEqual([["unknown_input", "steps[0].llm.prompt"]]);
  });

  it("names every kind when a step has none", () => {
    const [issue] = issuesOf("name: x\nsteps:\n  - id: a\n");
    expect(issue?.message).toBe("a step needs `run` (the shell script to execute), `llm` (a model call), `agent` (a coding agent), `http` (an API call) or `wait` (for an operation to end)");
  });
});

describe("parseWorkflow: good corpus", () => {
  const files = yamlFiles("good");
  it("has at least 4 documents", () => expect(files.length).toBeGreaterThanOrEqual(4));
  it.each(files)("%s parses without issues", (file) => {
    const result = parseWorkflow(read("good", file), file);
    expect(result.ok ? [] : result.errors.map(formatIssue)).toEqual([]);
  });
});

describe("parseWorkflow: bad corpus", () => {
  const files = yamlFiles("bad");
  const expectation = (file: string) => {
    const first = read("bad", file).split("\n")[0] ?? "";
    const match = /^# expect: (\d+):(\d+) (\w+) (.+)$/.exec(first);
    if (!match) throw new Error(`${file}: first line must be "# expect: <line>:<column> <code> <message>"`);
    return { line: Number(match[1]), column: Number(match[2]), code: match[3] ?? "", message: match[4] ?? "" };
  };

  it("has at least 20 documents covering every issue code", () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    const codes = new Set(files.map((file) => expectation(file).code));
    for (const code of [
      "yaml_syntax",
      "unknown_field",
      "wrong_type",
      "missing_field",
      "duplicate_step",
      "unknown_step",
      "cycle",
      "unknown_input",
      "unknown_reference",
      "not_needed",
      "unknown_output",
      "bad_expression",
      "bad_duration",
    ]) {
      expect(codes, code).toContain(code);
    }
  });

  it.each(files)("%s reports the expected issue", (file) => {
    const want = expectation(file);
    const result = parseWorkflow(read("bad", file), file);
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    const hit = errors.find((e) => e.line === want.line && e.column === want.column && e.code === want.code && e.message.includes(want.message));
    expect(hit, `got:\n${errors.map((e) => `${formatIssue(e)} [${e.code}]`).join("\n")}`).toBeDefined();
    expect(hit?.file).toBe(file);
  });
});

describe("parseWorkflow: issue details", () => {
  it("formats issues as file:line:column: message", () => {
    const [issue] = issuesOf("name: x\nstpes: []\n");
    expect(issue && formatIssue(issue)).toBe('w.yaml:1:1: missing required field "steps"; add a `steps:` list with at least one step');
  });

  it("reports every problem at once, sorted by position, with paths", () => {
    const issues = issuesOf(["name: x", "steps:", "  - id: a", "    timeout: forever", "    run: 1", "    colour: red"].join("\n"));
    expect(issues.map((i) => [i.line, i.column, i.code, i.path])).toEqual([
      [4, 14, "bad_duration", "steps[0].timeout"],
      [5, 10, "wrong_type", "steps[0].run"],
      [6, 5, "unknown_field", "steps[0].colour"],
    ]);
    expect(issues[1]?.message).toBe('"run" must be a string, got a number (1)');
  });

  it("prints the full 3-node cycle", () => {
    const issues = issuesOf(read("bad", "cycle.yaml"));
    expect(issues.filter((i) => i.code === "cycle").map((i) => i.message)).toEqual([
      "cycle in needs: a -> b -> c -> a; remove one of these needs so the steps can be ordered",
    ]);
  });

  it("detects cycles among teardown steps separately", () => {
    const issues = issuesOf(
      ["name: x", "steps: [{ id: a, run: x }]", "teardown:", "  - { id: t1, needs: t2, run: x }", "  - { id: t2, needs: t1, run: x }"].join("\n"),
    );
    expect(issues.map((i) => [i.code, i.message.split(";")[0]])).toEqual([["cycle", "cycle in needs: t1 -> t2 -> t1"]]);
  });

  it("rejects main steps that need teardown steps", () => {
    const issues = issuesOf(["name: x", "steps: [{ id: a, needs: t, run: x }]", "teardown: [{ id: t, run: x }]"].join("\n"));
    expect(issues.map((i) => i.code)).toEqual(["unknown_step"]);
    expect(issues[0]?.message).toContain('"t" is a teardown step');
  });

  it("lets teardown read any main step but workflow outputs only main steps", () => {
    const ok = parseWorkflow(
      ["name: x", "steps: [{ id: a, outputs: [v], run: x }]", "teardown: [{ id: t, run: 'echo ${{ steps.a.outputs.v }}' }]"].join("\n"),
    );
    expect(ok.ok).toBe(true);
    const issues = issuesOf(
      ["name: x", "steps: [{ id: a, run: x }]", "teardown: [{ id: t, outputs: [v], run: x }]", "outputs: { v: '${{ steps.t.outputs.v }}' }"].join("\n"),
    );
    expect(issues.map((i) => [i.code, i.path])).toEqual([["unknown_reference", "outputs.v"]]);
  });

  it("accepts transitive needs but not a step's own outputs", () => {
    const base = ["name: x", "steps:", "  - { id: a, outputs: [v], run: x }", "  - { id: b, needs: a, run: x }"];
    expect(parseWorkflow([...base, "  - { id: c, needs: b, run: '${{ steps.a.outputs.v }}' }"].join("\n")).ok).toBe(true);
    const issues = issuesOf([...base, "  - { id: c, outputs: [w], run: '${{ steps.c.outputs.w }}' }"].join("\n"));
    expect(issues.map((i) => i.code)).toEqual(["not_needed"]);
  });

  it("rejects unknown step fields in references", () => {
    const issues = issuesOf(["name: x", "steps:", "  - { id: a, run: x }", "  - { id: b, needs: a, run: '${{ steps.a.outptus }}' }"].join("\n"));
    expect(issues[0]?.message).toBe('steps.a.outptus: a step has only "outputs" and "status" (did you mean "outputs"?)');
  });

  it("points into double-quoted and plain scalars", () => {
    const issues = issuesOf(['name: x', 'steps:', '  - id: a', '    run: "echo ${{ inputs.x }}"', "    name: go ${{ inputs.y }}"].join("\n"));
    expect(issues.map((i) => [i.line, i.column, i.code])).toEqual([
      [4, 20, "unknown_input"],
      [5, 18, "unknown_input"],
    ]);
  });

  it("lists allowed fields when there is no close match", () => {
    const [issue] = issuesOf("name: x\nsteps: [{ id: a, run: x }]\nzzz: 1\n");
    expect(issue?.message).toBe(
      'unknown field "zzz"; allowed fields: name, description, inputs, concurrency, steps, teardown, outputs',
    );
    expect([issue?.line, issue?.column]).toEqual([3, 1]);
  });

  it("reports an empty document", () => {
    const [issue] = issuesOf("");
    expect(issue?.code).toBe("wrong_type");
    expect(issue?.message).toContain("must be a mapping");
  });

  it("handles CRLF line endings", () => {
    const result = parseWorkflow("name: x\r\nsteps:\r\n  - id: a\r\n    run: echo a\r\n");
    expect(result.ok).toBe(true);
  });
});
