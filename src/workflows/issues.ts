/** Problems found in a workflow file, each pointing at a line and column. */

export interface WorkflowIssue {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Where in the document, e.g. `steps[1].needs`; empty for the document itself. */
  path: string;
  code: string;
  message: string;
}

export type PathSegment = string | number;

/** Renders a path as `steps[1].env.GREETING`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** Renders an issue the way compilers do, `file:line:column: message`, so editors can jump to it. */
export function formatIssue(issue: WorkflowIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.message}`;
}

/** Orders issues by position so output reads top to bottom. */
export function sortIssues(issues: WorkflowIssue[]): WorkflowIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
}
