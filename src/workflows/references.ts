/** Checks every `${{ }}` in a workflow: syntax, and that each reference names something that will exist. */
import { transitiveNeeds } from "./dag.ts";
import { collectReferences, ExpressionError, parseExpression, type Reference } from "./expression.ts";
import type { PathSegment, WorkflowIssue } from "./issues.ts";
import type { SourceLocator } from "./locate.ts";
import type { StepDef, WorkflowDef } from "./schema.ts";
import { inferScriptOutputs, type KnownOutputs } from "./script-outputs.ts";
import { didYouMean } from "./suggest.ts";
import { findExpressions } from "./template.ts";
import { bodyStrings, HTTP_STEP_OUTPUTS, WAIT_STEP_OUTPUTS } from "./api-steps.ts";

/** Where an expression appears, which decides what it may read. */
type Scope = { kind: "concurrency" } | { kind: "outputs" } | { kind: "step"; group: "steps" | "teardown"; step: StepDef; visible: Set<string> };

const STEP_FIELDS = ["outputs", "status"];

/** The outputs each model-backed agent executor writes (see src/agents/builtin/run-cli.ts, claude-code/stream.ts). */
const AGENT_OUTPUTS = {
  builtin: ["text", "turns", "usage_input_tokens", "usage_output_tokens"],
  "claude-code": ["text", "num_turns", "usage_input_tokens", "usage_output_tokens", "usage_cache_read_tokens", "cost_usd"],
} as const;

/**
 * The outputs a step is known to produce. A `run` step: its declared list, else what its script visibly writes.
 * An `llm` step: `text`, or with a schema the schema's properties (any field when it lists none). An `agent`
 * step: what its executor reports (a `command` agent's are unknown unless declared). An `http` step: `status`,
 * `body` and its JSONPath outputs; a `wait` step: the operation's `status`, `error` and `preview_url`.
 */
export function knownOutputs(step: StepDef): KnownOutputs {
  if (step.kind === "http") return new Set([...HTTP_STEP_OUTPUTS, ...Object.keys(step.http.outputs)]);
  if (step.kind === "wait") return new Set(WAIT_STEP_OUTPUTS);
  if (step.kind === "agent") {
    if (step.outputs) return new Set(step.outputs);
    return step.agent.executor === "command" ? "unknown" : new Set(AGENT_OUTPUTS[step.agent.executor]);
  }
  if (step.kind === "llm") {
    const schema = step.llm.schema;
    if (schema === undefined) return new Set(["text"]);
    const properties = schema.properties;
    if (properties === null || typeof properties !== "object" || Array.isArray(properties)) return "unknown";
    return new Set(Object.keys(properties));
  }
  return step.outputs ? new Set(step.outputs) : inferScriptOutputs(step.run);
}

class ReferenceChecker {
  readonly issues: WorkflowIssue[] = [];
  private readonly main: Map<string, StepDef>;
  private readonly teardown: Map<string, StepDef>;

  constructor(
    private readonly def: WorkflowDef,
    private readonly loc: SourceLocator,
  ) {
    this.main = new Map(def.steps.map((step) => [step.id, step]));
    this.teardown = new Map(def.teardown.map((step) => [step.id, step]));
  }

  /** The `${{ }}` spans of a text, or null after reporting an unclosed one. */
  private findOrReport(text: string, path: PathSegment[]): ReturnType<typeof findExpressions> | null {
    try {
      return findExpressions(text);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      this.issues.push(this.loc.issue(path, "bad_expression", `bad expression: ${error.message}`, error.offset));
      return null;
    }
  }

  /** Checks a template string with any number of `${{ }}`. */
  template(text: string, path: PathSegment[], scope: Scope): void {
    const found = this.findOrReport(text, path);
    if (!found) return;
    for (const { expr, exprOffset } of found) this.expression(expr, exprOffset, path, scope);
  }

  /** Checks an `if`, which is one expression written with or without `${{ }}`. */
  condition(text: string, path: PathSegment[], scope: Scope): void {
    const found = this.findOrReport(text, path);
    if (!found) return;
    const [only] = found;
    if (found.length === 0) return this.expression(text, 0, path, scope);
    if (found.length === 1 && only && text.slice(0, only.offset).trim() === "" && text.slice(only.end).trim() === "") {
      return this.expression(only.expr, only.exprOffset, path, scope);
    }
    const message = "an `if` must be a single expression: write it without ${{ }} or wrap the whole condition in one ${{ }}";
    this.issues.push(this.loc.issue(path, "bad_expression", message, found[0]?.offset ?? 0));
  }

  private expression(expr: string, base: number, path: PathSegment[], scope: Scope): void {
    try {
      for (const ref of collectReferences(parseExpression(expr))) this.reference(ref, base + ref.offset, path, scope);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      // A pathological expression can be thousands of characters long: quote only its start.
      const shown = expr.length > 80 ? `${expr.slice(0, 77)}...` : expr;
      this.issues.push(this.loc.issue(path, "bad_expression", `bad expression \`${shown}\`: ${error.message}`, base + error.offset));
    }
  }

  private reference(ref: Reference, offset: number, path: PathSegment[], scope: Scope): void {
    const report = (code: string, message: string): void => void this.issues.push(this.loc.issue(path, code, message, offset));
    const shown = [ref.root, ...ref.path].join(".");
    if (ref.root === "inputs") {
      const [name] = ref.path;
      if (name === undefined || Object.prototype.hasOwnProperty.call(this.def.inputs, name)) return;
      const declared = Object.keys(this.def.inputs);
      const fix = declared.length === 0 ? "this workflow declares no inputs; add it under `inputs:`" : "declare it under `inputs:`";
      return report("unknown_input", `unknown input "${name}" in ${shown}${didYouMean(name, declared)}; ${fix}`);
    }
    if (ref.root !== "steps") {
      return report("unknown_reference", `unknown name "${ref.root}"; expressions can read inputs.<name>, steps.<id>.outputs.<name> and steps.<id>.status`);
    }
    if (scope.kind === "concurrency") {
      return report("unknown_reference", "`concurrency` can only use inputs: it is decided before any step runs");
    }
    const [id, field, output] = ref.path;
    if (id === undefined) return;
    const target = this.main.get(id) ?? this.teardown.get(id);
    if (!target) {
      const all = [...this.main.keys(), ...this.teardown.keys()];
      return report("unknown_reference", `unknown step "${id}" in ${shown}${didYouMean(id, all)}`);
    }
    const availability = this.availability(id, scope);
    if (availability) return report(availability.code, availability.message);
    if (field === undefined) return;
    if (!STEP_FIELDS.includes(field)) {
      return report("unknown_reference", `${shown}: a step has only "outputs" and "status"${didYouMean(field, STEP_FIELDS)}`);
    }
    if (field !== "outputs" || output === undefined) return;
    const known = knownOutputs(target);
    if (known === "unknown" || known.has(output)) return;
    if (target.kind === "http" || target.kind === "wait") {
      const names = [...known];
      const fix = target.kind === "http" ? "name it under `http.outputs` with a JSONPath, e.g. id: $.id" : "a wait step's outputs are fixed";
      return report("unknown_output", `step "${id}" has no output "${output}"${didYouMean(output, names)}; its outputs are: ${names.join(", ")}; ${fix}`);
    }
    if (target.kind === "llm") {
      const names = [...known];
      const fix = target.llm.schema === undefined ? "without a schema an llm step has only the output \"text\"" : `its schema's properties are: ${names.join(", ") || "none"}`;
      return report("unknown_output", `step "${id}" has no output "${output}"${didYouMean(output, names)}; ${fix}`);
    }
    if (known.size === 0) {
      return report(
        "unknown_output",
        `step "${id}" writes no outputs, so ${shown} is always empty; write "${output}=<value>" to $SHIPYARD_OUTPUT in its run script or declare outputs: [${output}]`,
      );
    }
    const names = [...known];
    report("unknown_output", `step "${id}" has no output "${output}"${didYouMean(output, names)}; its outputs are: ${names.join(", ")}`);
  }

  /** Explains why step `id` cannot be read from `scope`, or returns null when it can. */
  private availability(id: string, scope: Scope): { code: string; message: string } | null {
    const isTeardown = this.teardown.has(id);
    if (scope.kind === "outputs") {
      return isTeardown ? { code: "unknown_reference", message: `workflow outputs can only use main steps; "${id}" is a teardown step` } : null;
    }
    if (scope.kind !== "step") return null;
    const self = scope.step.id;
    if (id === self) return { code: "not_needed", message: `step "${self}" cannot read its own steps.${id}; outputs exist only after a step finishes` };
    // Teardown runs after every main step, so any main step's result may be read (it may be missing if the step was skipped).
    if (scope.group === "teardown" && !isTeardown) return null;
    if (scope.group === "steps" && isTeardown) {
      return { code: "not_needed", message: `step "${self}" cannot use teardown step "${id}": teardown runs after all main steps` };
    }
    if (scope.visible.has(id)) return null;
    return {
      code: "not_needed",
      message: `step "${self}" uses steps.${id} but does not need "${id}", so it may not have run yet; add "${id}" to the needs of "${self}"`,
    };
  }
}

/** Checks syntax and references of every expression in the workflow. */
export function checkReferences(def: WorkflowDef, loc: SourceLocator): WorkflowIssue[] {
  const checker = new ReferenceChecker(def, loc);
  if (def.concurrency !== undefined) checker.template(def.concurrency, ["concurrency"], { kind: "concurrency" });
  for (const group of ["steps", "teardown"] as const) {
    def[group].forEach((step, index) => {
      const scope: Scope = { kind: "step", group, step, visible: transitiveNeeds(def[group], step.id) };
      const at = (...rest: PathSegment[]): PathSegment[] => [group, index, ...rest];
      if (step.name !== undefined) checker.template(step.name, at("name"), scope);
      if (step.if !== undefined) checker.condition(step.if, at("if"), scope);
      for (const [key, value] of Object.entries(step.env)) checker.template(value, at("env", key), scope);
      if (step.kind === "llm") checker.template(step.llm.prompt, at("llm", "prompt"), scope);
      else if (step.kind === "http") {
        checker.template(step.http.url, at("http", "url"), scope);
        for (const [key, value] of Object.entries(step.http.headers)) checker.template(value, at("http", "headers", key), scope);
        for (const s of bodyStrings(step.http.body)) checker.template(s.text, at("http", "body", ...s.path), scope);
      } else if (step.kind === "wait") checker.template(step.wait.operation, at("wait", "operation"), scope);
      else if (step.kind === "agent") {
        checker.template(step.agent.prompt, at("agent", "prompt"), scope);
        if (step.agent.command !== undefined) checker.template(step.agent.command, at("agent", "command"), scope);
      } else checker.template(step.run, at("run"), scope);
    });
  }
  for (const [name, value] of Object.entries(def.outputs)) checker.template(value, ["outputs", name], { kind: "outputs" });
  return checker.issues;
}
