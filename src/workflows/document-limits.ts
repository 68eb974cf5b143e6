// Limits on a workflow document as YAML, checked on the parsed document before it becomes data: its size, its
// nesting depth, how much its aliases expand (a "billion laughs" document is a few lines that expand
// exponentially), text that could not be stored or passed to a step as written (NUL, unpaired surrogates), and
// `__proto__` keys.
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node } from "yaml";
import { textProblem } from "../domain/text.ts";
import { formatPath, type PathSegment, type WorkflowIssue } from "./issues.ts";
import type { SourceLocator } from "./locate.ts";

/** Largest workflow document, in characters (the API's limit on the `workflow` field too). */
export const MAX_WORKFLOW_CHARS = 256 * 1024;
/** Deepest nesting of mappings and lists; real workflows (with an llm step's JSON Schema) stay far below. */
export const MAX_DOCUMENT_DEPTH = 64;
/** Most values aliases may add to the document when expanded, nested aliases counted in full. */
export const MAX_ALIAS_EXPANSION = 10_000;

/** The issue of a document over MAX_WORKFLOW_CHARS, or null. */
export function sizeIssue(text: string, file: string): WorkflowIssue | null {
  if (text.length <= MAX_WORKFLOW_CHARS) return null;
  const message = `the workflow is ${text.length} characters long; the limit is ${MAX_WORKFLOW_CHARS}`;
  return { file, line: 1, column: 1, path: "", code: "too_large", message };
}

/** The message for YAML's own guard against composing a document too deep for the stack. */
export const TOO_DEEP_TO_PARSE = `the document is nested too deeply to parse; the limit is ${MAX_DOCUMENT_DEPTH} levels of mappings and lists`;

type Item = { node: unknown; path: PathSegment[]; depth: number };

/** Counts the values an alias expands to (its target's, recursively), memoized per node so it stays linear. */
class AliasSizes {
  private readonly sizes = new Map<unknown, number>();
  constructor(private readonly doc: Document) {}

  of(node: unknown, resolving = new Set<unknown>()): number {
    const known = this.sizes.get(node);
    if (known !== undefined) return known;
    // A cycle cannot be expanded at all (toJS refuses it); count it as unbounded.
    if (resolving.has(node)) return Number.POSITIVE_INFINITY;
    resolving.add(node);
    let size = 1;
    if (isAlias(node)) size = this.of(node.resolve(this.doc), resolving);
    else if (isMap(node) || isSeq(node)) {
      for (const item of node.items as unknown[]) size += isPair(item) ? this.of(item.key, resolving) + this.of(item.value, resolving) : this.of(item, resolving);
    }
    resolving.delete(node);
    this.sizes.set(node, size);
    return size;
  }
}

/** Every limit the parsed document breaks, each located; empty when it keeps them all. */
export function documentIssues(doc: Document, loc: SourceLocator): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  const at = (node: unknown, path: PathSegment[], code: string, message: string): WorkflowIssue => {
    const offset = (node as Node | null)?.range?.[0] ?? 0;
    return { ...loc.issueAt(offset, code, message), path: formatPath(path) };
  };
  const sizes = new AliasSizes(doc);
  let expanded = 0;
  let deepReported = false;
  let expansionReported = false;
  // Depth first, in document order (children pushed in reverse), without recursion: depth is what is checked.
  const stack: Item[] = [{ node: doc.contents, path: [], depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, path, depth } = item;
    if (isAlias(node)) {
      expanded += sizes.of(node);
      if (expanded > MAX_ALIAS_EXPANSION && !expansionReported) {
        expansionReported = true;
        issues.push(at(node, path, "too_many_aliases", `aliases expand the document by more than ${MAX_ALIAS_EXPANSION} values (the limit); use fewer aliases, or aliases of smaller anchors`));
      }
    } else if (isScalar(node)) {
      const problem = typeof node.value === "string" ? textProblem(node.value) : null;
      if (problem) issues.push(at(node, path, "invalid_text", `the value ${problem}`));
    } else if (isMap(node) || isSeq(node)) {
      if (depth >= MAX_DOCUMENT_DEPTH) {
        if (!deepReported) issues.push(at(node, path, "too_deep", `the document is nested more than ${MAX_DOCUMENT_DEPTH} levels deep (the limit)`));
        deepReported = true;
        continue;
      }
      const children: Item[] = [];
      (node.items as unknown[]).forEach((entry, index) => {
        if (!isPair(entry)) return void children.push({ node: entry, path: [...path, index], depth: depth + 1 });
        const key = isScalar(entry.key) ? String(entry.key.value) : index;
        const keyProblem = isScalar(entry.key) && typeof entry.key.value === "string" ? textProblem(entry.key.value) : null;
        if (keyProblem) issues.push(at(entry.key, path, "invalid_text", `a key ${keyProblem}`));
        // Objects built from the document (zod's records among them) drop a `__proto__` key without a word.
        else if (key === "__proto__") issues.push(at(entry.key, path, "bad_value", `"__proto__" is reserved and cannot be a name or key; choose another`));
        else if (!isScalar(entry.key) && entry.key !== null) children.push({ node: entry.key, path: [...path, index], depth: depth + 1 });
        children.push({ node: entry.value, path: [...path, key], depth: depth + 1 });
      });
      stack.push(...children.reverse());
    }
  }
  return issues;
}
