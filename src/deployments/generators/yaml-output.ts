// YAML as the generators write it. Written with YAML 1.1's schema, so every string that a 1.1 reader (Helm and
// kubectl read YAML through go-yaml v2) would take for a boolean, number or date (`on`, `0777`, `12:30`) is
// quoted; 1.2 readers read the same values. No line folding: a long env value stays on one line.
import { Document, parseAllDocuments } from "yaml";

/** One YAML document for `value`, with an optional leading comment. */
export function toYaml(value: unknown, comment?: string): string {
  // Objects shared in memory (labels, probes) are written out in full: anchors and aliases would only puzzle a reader.
  const doc = new Document(value, { version: "1.1", aliasDuplicateObjects: false });
  if (comment) doc.commentBefore = comment.split("\n").map((l) => ` ${l}`).join("\n");
  return doc.toString({ lineWidth: 0 });
}

/** Parse every document of a YAML file; a syntax error is returned with its line, never thrown. */
export function parseYamlDocuments(text: string): { values: unknown[]; errors: string[] } {
  const docs = parseAllDocuments(text, { version: "1.1" });
  const list = Array.isArray(docs) ? docs : [docs];
  const errors = list.flatMap((d) => d.errors.map((e) => e.message));
  if (errors.length > 0) return { values: [], errors };
  try {
    // The default bound on alias expansion keeps a "billion laughs" document from growing without limit.
    return { values: list.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined), errors };
  } catch (err) {
    return { values: [], errors: [(err as Error).message] };
  }
}
