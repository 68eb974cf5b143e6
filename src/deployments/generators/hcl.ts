// HCL (Terraform's native syntax) written from a tree, never pasted together from input: every string goes
// through hclString, which escapes quotes, backslashes, control characters and Terraform's `${` and `%{`
// template sequences. References (`var.image`) are HclExpr, made only from fixed text and validated names.
// Consecutive one-line attributes are aligned on `=` as `terraform fmt` aligns them.

/** A Terraform expression written as it is (a reference or a function call): never built from free text. */
export class HclExpr {
  constructor(readonly text: string) {}
}

export type HclValue = string | number | boolean | HclExpr | HclValue[] | { [key: string]: HclValue };

export interface HclAttribute {
  kind: "attribute";
  name: string;
  value: HclValue;
}

export interface HclBlock {
  kind: "block";
  type: string;
  labels: string[];
  body: HclBody;
}

export type HclBody = (HclAttribute | HclBlock | undefined | false)[];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `name = value`. */
export const attr = (name: string, value: HclValue): HclAttribute => ({ kind: "attribute", name, value });
/** `type "label" ... { body }`; undefined and false entries of the body are left out. */
export const block = (type: string, labels: string[], body: HclBody): HclBlock => ({ kind: "block", type, labels, body });
/** A reference or call: `expr("var.image")`. */
export const expr = (text: string) => new HclExpr(text);

/** A quoted HCL string literal holding exactly `s`. */
export function hclString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const next = s[i + 1];
    if (c === '"') out += '\\"';
    else if (c === "\\") out += "\\\\";
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if ((c === "$" || c === "%") && next === "{") out += c + c;
    else if (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) out += `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
    else out += c;
  }
  return `${out}"`;
}

function key(k: string): string {
  return IDENTIFIER.test(k) ? k : hclString(k);
}

function value(v: HclValue, indent: string): string {
  if (v instanceof HclExpr) return v.text;
  if (typeof v === "string") return hclString(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
    return String(v);
  }
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map((item) => value(item, indent)).join(", ")}]`;
  const entries = Object.entries(v);
  if (entries.length === 0) return "{}";
  const inner = `${indent}  `;
  const width = Math.max(...entries.map(([k]) => key(k).length));
  return `{\n${entries.map(([k, item]) => `${inner}${key(k).padEnd(width)} = ${value(item, inner)}`).join("\n")}\n${indent}}`;
}

function body(items: HclBody, indent: string): string[] {
  const present = items.filter((i): i is HclAttribute | HclBlock => Boolean(i));
  const lines: string[] = [];
  let run: HclAttribute[] = [];
  const flush = () => {
    const width = Math.max(0, ...run.map((a) => a.name.length));
    for (const a of run) lines.push(`${indent}${a.name.padEnd(width)} = ${value(a.value, indent)}`);
    run = [];
  };
  present.forEach((item, i) => {
    if (item.kind === "attribute") {
      if (!IDENTIFIER.test(item.name)) throw new Error(`not an HCL identifier: ${item.name}`);
      // A multi-line value ends a run of aligned attributes, as terraform fmt does.
      run.push(item);
      if (value(item.value, indent).includes("\n")) flush();
      return;
    }
    flush();
    if (i > 0 && lines.length > 0 && present[i - 1]!.kind === "attribute") lines.push("");
    lines.push(...renderBlock(item, indent));
    if (i < present.length - 1) lines.push("");
  });
  flush();
  // No blank line at the end of a body.
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function renderBlock(b: HclBlock, indent: string): string[] {
  if (!IDENTIFIER.test(b.type)) throw new Error(`not an HCL identifier: ${b.type}`);
  const head = [b.type, ...b.labels.map(hclString)].join(" ");
  const inner = body(b.body, `${indent}  `);
  return inner.length === 0 ? [`${indent}${head} {}`] : [`${indent}${head} {`, ...inner, `${indent}}`];
}

/** A whole .tf file: its top-level blocks, a blank line between each, with an optional leading comment. */
export function toHcl(blocks: HclBlock[], comment?: string): string {
  const head = comment ? `${comment.split("\n").map((l) => `# ${l}`).join("\n")}\n\n` : "";
  return `${head}${blocks.map((b) => renderBlock(b, "").join("\n")).join("\n\n")}\n`;
}
