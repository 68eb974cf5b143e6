/** Maps document paths (and offsets inside string values) back to line and column in the YAML source. */
import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import { formatPath, type PathSegment, type WorkflowIssue } from "./issues.ts";

interface Found {
  /** The deepest node reached along the path (or the key, when the value is empty). */
  node: Node | null;
  /** The key node of the last map entry reached. */
  key: Node | null;
  /** Whether the whole path was found. */
  complete: boolean;
}

/** Locates issues in one parsed YAML document. */
export class SourceLocator {
  constructor(
    private readonly file: string,
    private readonly source: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Builds an issue located at `path`: its key when `at` is "key", else its value (or an offset inside a string value). */
  issue(path: readonly PathSegment[], code: string, message: string, at: "key" | "value" | number = "value"): WorkflowIssue {
    const found = this.find(path);
    let offset = 0;
    const target = at === "key" && found.key ? found.key : (found.node ?? found.key);
    if (target?.range) offset = target.range[0];
    if (typeof at === "number" && found.complete && found.node && isScalar(found.node)) offset = this.offsetInScalar(found.node, at);
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col, path: formatPath(path), code, message };
  }

  /** Builds an issue from an absolute source offset (YAML syntax errors). */
  issueAt(offset: number, code: string, message: string): WorkflowIssue {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col, path: "", code, message };
  }

  private find(path: readonly PathSegment[]): Found {
    let node: Node | null = (this.doc.contents as Node | null) ?? null;
    let key: Node | null = null;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) return { node, key, complete: false };
        key = isScalar(pair.key) ? pair.key : null;
        node = (pair.value as Node | null) ?? null;
        if (node === null) return { node: key, key, complete: false };
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment] as Node | undefined;
        if (!item) return { node, key, complete: false };
        node = item;
        key = null;
      } else {
        return { node, key, complete: false };
      }
    }
    return { node, key, complete: true };
  }

  /** Finds where character `index` of a scalar's value sits in the source; falls back to the scalar's start. */
  private offsetInScalar(node: Node & { value?: unknown; type?: string | undefined }, index: number): number {
    const start = node.range?.[0] ?? 0;
    const value = typeof node.value === "string" ? node.value : String(node.value);
    switch (node.type) {
      case "PLAIN":
        return this.source.startsWith(value, start) ? start + index : start;
      case "QUOTE_SINGLE":
      case "QUOTE_DOUBLE":
        // Escapes shift positions, so only map exactly when the source spells the value verbatim.
        return this.source.startsWith(value, start + 1) ? start + 1 + index : start;
      case "BLOCK_LITERAL":
        return this.offsetInBlockLiteral(start, value, index);
      default:
        return start;
    }
  }

  /** In a `|` block every value line is one source line after the header, shifted right by the block's indentation. */
  private offsetInBlockLiteral(start: number, value: string, index: number): number {
    const headerEnd = this.source.indexOf("\n", start);
    if (headerEnd === -1) return start;
    const before = value.slice(0, index);
    const valueLine = before.split("\n").length - 1;
    const column = index - (before.lastIndexOf("\n") + 1);
    const body = this.source.slice(headerEnd + 1).split("\n");
    const firstContent = body.find((line) => line.trim() !== "") ?? "";
    const indent = firstContent.length - firstContent.trimStart().length;
    let offset = headerEnd + 1;
    for (let i = 0; i < valueLine; i++) offset += (body[i]?.length ?? 0) + 1;
    return offset + indent + column;
  }
}
