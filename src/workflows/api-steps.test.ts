import { describe, expect, it } from "vitest";
import { formatIssue, jsonPathProblem, knownOutputs, parseWorkflow, type WorkflowIssue } from "./index.ts";

const TREE = `name: tree
steps:
  - id: create
    http:
      method: post
      url: /projects
      headers: { x-trace: "\${{ inputs.trace }}" }
      body:
        name: "demo-\${{ inputs.n }}"
        tags: [one, "\${{ inputs.trace }}"]
        nested: { keep: 3 }
      outputs:
        project_id: $.id
        first_tag: $.tags[0]
  - id: build
    needs: create
    http: { method: POST, url: "/projects/\${{ steps.create.outputs.project_id }}/builds", body: { prompt: hi }, outputs: { operation_id: $.operationId } }
  - id: built
    needs: build
    wait: { operation: "\${{ steps.build.outputs.operation_id }}", timeout: 5m }
  - id: use
    needs: built
    run: echo "\${{ steps.built.outputs.preview_url }} \${{ steps.create.outputs.status }} \${{ steps.create.outputs.body }}"
inputs:
  n: { type: number, default: 1 }
  trace: { type: string, default: t }
`;

function issuesOf(text: string): WorkflowIssue[] {
  const result = parseWorkflow(text, "w.yaml");
  if (result.ok) throw new Error("expected the workflow to be rejected");
  return result.errors;
}

/** The tree with the text `from` replaced by `to`. */
const tree = (from: string, to: string) => {
  if (!TREE.includes(from)) throw new Error(`not in the tree: ${from}`);
  return TREE.replace(from, to);
};

describe("parseWorkflow: http and wait steps", () => {
  it("normalizes both (method upper-cased, body kept as written, timeout in ms) and knows their outputs", () => {
    const result = parseWorkflow(TREE);
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join("\n"));
    const [create, build, built] = result.workflow.steps;
    expect(create).toMatchObject({
      kind: "http",
      http: {
        method: "POST",
        url: "/projects",
        headers: { "x-trace": "${{ inputs.trace }}" },
        body: { name: "demo-${{ inputs.n }}", tags: ["one", "${{ inputs.trace }}"], nested: { keep: 3 } },
        outputs: { project_id: "$.id", first_tag: "$.tags[0]" },
      },
    });
    expect(built).toMatchObject({ kind: "wait", wait: { operation: "${{ steps.build.outputs.operation_id }}", timeoutMs: 300_000 } });
    expect(create && knownOutputs(create)).toEqual(new Set(["status", "body", "project_id", "first_tag"]));
    expect(build && knownOutputs(build)).toEqual(new Set(["status", "body", "operation_id"]));
    expect(built && knownOutputs(built)).toEqual(new Set(["status", "error", "preview_url"]));
  });

  it("a GET without a body is the default; a body makes it a POST", () => {
    const result = parseWorkflow("name: x\nsteps:\n  - id: a\n    http: { url: /projects }\n  - id: b\n    http: { url: /runs, body: { workflow: x } }\n");
    expect(result.ok && result.workflow.steps.map((s) => s.kind === "http" && s.http.method)).toEqual(["GET", "POST"]);
  });

  it("reports a bad JSONPath at its line, saying where in the query it breaks", () => {
    const [issue, ...rest] = issuesOf(tree("first_tag: $.tags[0]", "first_tag: $.tags[[0"));
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ code: "bad_jsonpath", path: "steps[0].http.outputs.first_tag", line: 14 });
    expect(issue?.message).toContain("bad JSONPath \"$.tags[[0\" at character");
    expect(issuesOf(tree("project_id: $.id", "project_id: id"))[0]).toMatchObject({ code: "bad_jsonpath", line: 13 });
  });

  it("reports unknown fields with a suggestion, at their line", () => {
    const [issue] = issuesOf(tree("      headers:", "      hedaers:"));
    expect(issue).toMatchObject({ code: "unknown_field", path: "steps[0].http.hedaers", line: 7 });
    expect(issue?.message).toContain('did you mean "headers"');
    expect(issuesOf(tree("timeout: 5m }", "timeout: 5m, operaton: x }"))[0]).toMatchObject({ code: "unknown_field", path: "steps[2].wait.operaton" });
  });

  it("reports a reference to an output the step does not make", () => {
    const [issue] = issuesOf(tree("steps.create.outputs.status", "steps.create.outputs.project"));
    expect(issue).toMatchObject({ code: "unknown_output", path: "steps[3].run" });
    expect(issue?.message).toContain('step "create" has no output "project"');
    expect(issuesOf(tree("steps.built.outputs.preview_url", "steps.built.outputs.url"))[0]?.message).toContain("status, error, preview_url");
  });

  it("checks the expressions in url, headers, body and operation", () => {
    expect(issuesOf(tree("demo-${{ inputs.n }}", "demo-${{ inputs.m }}"))[0]).toMatchObject({ code: "unknown_input", path: "steps[0].http.body.name" });
    expect(issuesOf(tree('"${{ inputs.trace }}"]', '"${{ inputs.tarce }}"]'))[0]).toMatchObject({ code: "unknown_input", path: "steps[0].http.body.tags[1]" });
    expect(issuesOf(tree('x-trace: "${{ inputs.trace }}"', 'x-trace: "${{ inputs.trac }}"'))[0]).toMatchObject({ path: "steps[0].http.headers.x-trace" });
    expect(issuesOf(tree("steps.build.outputs.operation_id }}", "steps.create.outputs.operation_id }}"))[0]).toMatchObject({ code: "unknown_output", path: "steps[2].wait.operation" });
    expect(issuesOf(tree("    needs: build\n", "    needs: create\n"))[0]).toMatchObject({ code: "not_needed", path: "steps[2].wait.operation" });
  });

  it("refuses fields the server would ignore, reserved headers, bad urls, methods and durations", () => {
    const codes = (text: string) => issuesOf(text).map((i) => [i.code, i.path]);
    expect(codes(tree("    needs: create\n", "    needs: create\n    env: { A: b }\n"))).toEqual([["unused_field", "steps[1].env"]]);
    expect(codes(tree("    needs: build\n", "    needs: build\n    timeout: 1m\n"))).toEqual([["unused_field", "steps[2].timeout"]]);
    expect(codes(tree("    needs: create\n", "    needs: create\n    network: true\n"))).toEqual([["not_applicable", "steps[1].network"]]);
    expect(codes(tree("    needs: create\n", "    needs: create\n    outputs: [x]\n"))).toEqual([["unused_field", "steps[1].outputs"]]);
    expect(codes(tree("x-trace:", "Authorization:"))).toEqual([["bad_value", "steps[0].http.headers.Authorization"]]);
    expect(codes(tree("url: /projects", "url: projects"))).toEqual([["bad_value", "steps[0].http.url"]]);
    expect(codes(tree("method: post", "method: fetch"))).toEqual([["bad_value", "steps[0].http.method"]]);
    expect(codes(tree("timeout: 5m", "timeout: soon"))).toEqual([["bad_duration", "steps[2].wait.timeout"]]);
    expect(codes(tree("timeout: 5m", "timeout: 0"))).toEqual([["bad_duration", "steps[2].wait.timeout"]]);
    expect(codes(tree("first_tag: $.tags[0]", "status: $.tags[0]"))).toEqual([["bad_value", "steps[0].http.outputs.status"]]);
    expect(codes(tree("    wait: {", "    run: echo\n    wait: {"))).toEqual([["wrong_type", "steps[2]"]]);
  });
});

describe("jsonPathProblem", () => {
  it("accepts RFC 9535 queries and explains the rest", () => {
    for (const ok of ["$", "$.id", "$.items[0].name", "$..id", "$.items[?@.n > 1].id", "$['a b']"]) expect(jsonPathProblem(ok)).toBeNull();
    expect(jsonPathProblem("id")).toContain("at character 1");
    expect(jsonPathProblem("$.a[")).toContain("bad JSONPath");
  });
});
