/** Parses and validates a workflow YAML file, reporting every problem with its line and column. */
import { LineCounter, parseDocument } from "yaml";
import { documentIssues, MAX_ALIAS_EXPANSION, sizeIssue, TOO_DEEP_TO_PARSE } from "./document-limits.ts";
import { sortIssues, type WorkflowIssue } from "./issues.ts";
import { SourceLocator } from "./locate.ts";
import { type WorkflowDef, WorkflowDocumentSchema, normalizeWorkflow } from "./schema.ts";
import { schemaIssues } from "./schema-issues.ts";
import { validateWorkflow } from "./validate.ts";

export { formatIssue, type WorkflowIssue } from "./issues.ts";

export type ParseResult = { ok: true; workflow: WorkflowDef } | { ok: false; errors: WorkflowIssue[] };

/** Parses workflow YAML text into a normalized WorkflowDef, or every issue found, sorted by position. */
export function parseWorkflow(text: string, file = "<workflow>"): ParseResult {
  const tooLarge = sizeIssue(text, file);
  if (tooLarge) return { ok: false, errors: [tooLarge] };
  const lineCounter = new LineCounter();
  // prettyErrors off: we add our own file:line:column, and YAML's code excerpts would clutter the message.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const loc = new SourceLocator(file, text, doc, lineCounter);
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((error) =>
      // YAML reports a stack overflow while composing a deeply nested document as RESOURCE_EXHAUSTION.
      error.code === "RESOURCE_EXHAUSTION"
        ? loc.issueAt(error.pos[0], "too_deep", TOO_DEEP_TO_PARSE)
        : loc.issueAt(error.pos[0], "yaml_syntax", `YAML syntax error: ${error.message}`),
    );
    return { ok: false, errors: sortIssues(errors) };
  }
  const limits = documentIssues(doc, loc);
  if (limits.length > 0) return { ok: false, errors: sortIssues(limits) };
  let data: unknown;
  try {
    // documentIssues bounds the expansion first; the library's own alias guard stays on behind it.
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (err) {
    const message = `the document's aliases cannot be expanded: ${(err as Error).message}`;
    return { ok: false, errors: [loc.issueAt(0, "too_many_aliases", message)] };
  }
  const structural = WorkflowDocumentSchema.safeParse(data);
  if (!structural.success) return { ok: false, errors: sortIssues(schemaIssues(structural.error.issues, data, loc)) };
  const workflow = normalizeWorkflow(structural.data);
  const errors = validateWorkflow(workflow, loc);
  return errors.length > 0 ? { ok: false, errors: sortIssues(errors) } : { ok: true, workflow };
}
