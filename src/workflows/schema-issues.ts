/** Turns zod's structural validation issues into located, human-readable WorkflowIssues. */
import type { z } from "zod";
import { formatPath, type PathSegment, type WorkflowIssue } from "./issues.ts";
import type { SourceLocator } from "./locate.ts";
import { ALLOWED_KEYS } from "./schema.ts";
import { didYouMean } from "./suggest.ts";

type ZodIssue = z.ZodError["issues"][number];

// Hints for the fields whose absence is most common, so the message says how to fix it.
const MISSING_HINTS: Record<string, string> = {
  name: "; add `name: <workflow name>`",
  steps: "; add a `steps:` list with at least one step",
  id: "; give the step an `id:` (letters, digits, _ and -)",
  type: "; add `type: string`, `number` or `boolean`",
};

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
};

/** Describes a YAML value for "got ..." in messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `a string (${JSON.stringify(value)})`;
  if (typeof value === "boolean") return `a boolean (${value})`;
  return `a ${typeof value} (${String(value)})`;
}

/** Reads the value at a path in plain data. */
function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** The allowed keys of the mapping at `path`, for "did you mean". */
function allowedKeys(path: readonly PathSegment[]): readonly string[] {
  const [first] = path;
  if (path.length === 0) return ALLOWED_KEYS.workflow;
  if (path.length === 2 && first === "inputs") return ALLOWED_KEYS.input;
  if (path.length === 2 && (first === "steps" || first === "teardown")) return ALLOWED_KEYS.step;
  if (path[path.length - 1] === "retry") return ALLOWED_KEYS.retry;
  if (path[path.length - 1] === "llm") return ALLOWED_KEYS.llm;
  if (path[path.length - 1] === "agent") return ALLOWED_KEYS.agent;
  if (path[path.length - 1] === "http") return ALLOWED_KEYS.http;
  if (path[path.length - 1] === "wait") return ALLOWED_KEYS.wait;
  return [];
}

/** Names a field in a message: the key itself, or the full path for list items. */
function label(path: readonly PathSegment[]): string {
  const last = path[path.length - 1];
  return typeof last === "string" ? `"${last}"` : formatPath(path);
}

/** Prefixes schema-provided "must ..." messages with the field they are about. */
function withLabel(path: readonly PathSegment[], message: string): string {
  return message.startsWith("must") ? `${label(path)} ${message}` : message;
}

/** Converts one zod issue (possibly into several WorkflowIssues, e.g. one per unknown key). */
function convert(issue: ZodIssue, data: unknown, loc: SourceLocator): WorkflowIssue[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p === "string" || typeof p === "number");
  const value = valueAt(data, path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const allowed = allowedKeys(path);
        const hint = didYouMean(key, allowed) || (allowed.length > 0 ? `; allowed fields: ${allowed.join(", ")}` : "");
        return loc.issue([...path, key], "unknown_field", `unknown field "${key}"${hint}`, "key");
      });
    case "invalid_type": {
      if (value === undefined) {
        const field = String(path[path.length - 1] ?? "");
        return [loc.issue(path.slice(0, -1), "missing_field", `missing required field "${field}"${MISSING_HINTS[field] ?? ""}`)];
      }
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      if (path.length === 0) {
        return [loc.issue(path, "wrong_type", `a workflow must be a mapping with at least \`name\` and \`steps\`, got ${describeValue(value)}`)];
      }
      return [loc.issue(path, "wrong_type", `${label(path)} must be ${expected}, got ${describeValue(value)}`)];
    }
    case "invalid_union":
      return [loc.issue(path, "wrong_type", `${withLabel(path, issue.message)}, got ${describeValue(value)}`)];
    case "invalid_key": {
      const inner = issue.issues[0]?.message ?? issue.message;
      return [loc.issue(path, "bad_value", withLabel(path, inner), "key")];
    }
    case "custom": {
      const params: Record<string, unknown> = issue.params ?? {};
      const code = typeof params.shipyardCode === "string" ? params.shipyardCode : "bad_value";
      return [loc.issue(path, code, withLabel(path, issue.message))];
    }
    default:
      // Range, format and enum checks carry their own messages in schema.ts.
      return [loc.issue(path, "bad_value", withLabel(path, issue.message))];
  }
}

/** Converts all zod issues for a document. */
export function schemaIssues(issues: readonly ZodIssue[], data: unknown, loc: SourceLocator): WorkflowIssue[] {
  return issues.flatMap((issue) => convert(issue, data, loc));
}
