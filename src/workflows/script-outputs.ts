/** Static inference of which outputs a `run` script writes to `$SHIPYARD_OUTPUT`. */

/** The output names a step is known to write, or "unknown" when the script writes in a way we cannot follow. */
export type KnownOutputs = ReadonlySet<string> | "unknown";

const TARGET = String.raw`"?\$(?:SHIPYARD_OUTPUT|\{SHIPYARD_OUTPUT\})"?`;
// `echo "name=value" >> "$SHIPYARD_OUTPUT"` (also printf, single quotes, no quotes).
const APPEND_LINE = new RegExp(String.raw`^\s*(?:echo|printf)\s+(?:-[a-zA-Z]+\s+)*["']?([A-Za-z_][A-Za-z0-9_-]*)(?:=|<<([^"'\s]+)).*>>\s*${TARGET}\s*$`);
// `echo "EOF" >> "$SHIPYARD_OUTPUT"`: may close a heredoc opened by an APPEND_LINE.
const APPEND_WORD = new RegExp(String.raw`^\s*(?:echo|printf)\s+["']?([^"'\s]+)["']?\s*>>\s*${TARGET}\s*$`);
// `} >> "$SHIPYARD_OUTPUT"` closes a `{ ... }` group whose echo lines all go to the output file.
const GROUP_END = new RegExp(String.raw`^\s*\}\s*>>\s*${TARGET}\s*$`);
// `cat >> "$SHIPYARD_OUTPUT" <<EOF` or `cat <<'EOF' >> $SHIPYARD_OUTPUT`: the heredoc body is the output file text.
const CAT_HEREDOC = new RegExp(String.raw`^\s*cat\s+(?:>>\s*${TARGET}\s+<<-?\s*(['"]?)(\w+)\1|<<-?\s*(['"]?)(\w+)\3\s+>>\s*${TARGET})\s*$`);
// A line of output-file text: `name=value` or `name<<DELIM`.
const FILE_LINE = /^\s*([A-Za-z_][A-Za-z0-9_-]*)(=|<<)(.*)$/;
// An echo inside a group: `echo "name=value"`, `echo "name<<EOF"`, `echo "EOF"`.
const GROUP_ECHO = /^\s*(?:echo|printf)\s+(?:-[a-zA-Z]+\s+)*["']?([^"'\s=<]*)(?:(=|<<)([^"']*))?/;

/** Reads the names in output-file text (the body of a `cat <<EOF >> $SHIPYARD_OUTPUT`). */
function namesInFileText(lines: readonly string[], names: Set<string>): boolean {
  let delimiter: string | null = null;
  for (const line of lines) {
    if (delimiter !== null) {
      if (line.trim() === delimiter) delimiter = null;
      continue;
    }
    if (line.trim() === "") continue;
    const match = FILE_LINE.exec(line);
    if (!match || match[1] === undefined) return false;
    names.add(match[1]);
    if (match[2] === "<<") delimiter = (match[3] ?? "").trim();
  }
  return delimiter === null;
}

/** Reads the names echoed inside `{ ... } >> $SHIPYARD_OUTPUT`; other commands are fine only inside a heredoc value. */
function namesInGroup(lines: readonly string[], names: Set<string>): boolean {
  let delimiter: string | null = null;
  for (const line of lines) {
    const echo = GROUP_ECHO.exec(line);
    if (delimiter !== null) {
      if (echo && echo[1] === delimiter && echo[2] === undefined) delimiter = null;
      continue;
    }
    if (line.trim() === "") continue;
    if (!echo || echo[2] === undefined || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(echo[1] ?? "")) return false;
    names.add(echo[1] ?? "");
    if (echo[2] === "<<") delimiter = (echo[3] ?? "").trim();
  }
  return delimiter === null;
}

/** Infers output names from a script; an empty set means the script never writes outputs. */
export function inferScriptOutputs(script: string): KnownOutputs {
  if (!script.includes("SHIPYARD_OUTPUT")) return new Set();
  const lines = script.split(/\r?\n/);
  const names = new Set<string>();
  // Set while between `echo "name<<EOF" >> $SHIPYARD_OUTPUT` and `echo EOF >> $SHIPYARD_OUTPUT`: appends there are the value.
  let openDelimiter: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (!line.includes("SHIPYARD_OUTPUT")) continue;
    if ((line.match(/SHIPYARD_OUTPUT/g) ?? []).length > 1) return "unknown";
    if (openDelimiter !== null) {
      if (APPEND_WORD.exec(line)?.[1] === openDelimiter) openDelimiter = null;
      continue;
    }
    const append = APPEND_LINE.exec(line);
    if (append?.[1] !== undefined) {
      names.add(append[1]);
      openDelimiter = append[2] ?? null;
      continue;
    }
    const cat = CAT_HEREDOC.exec(line);
    if (cat) {
      const end = cat[2] ?? cat[4] ?? "";
      const close = lines.findIndex((candidate, j) => j > i && candidate.trim() === end);
      if (close === -1 || !namesInFileText(lines.slice(i + 1, close), names)) return "unknown";
      i = close;
      continue;
    }
    if (GROUP_END.test(line)) {
      const open = lines.slice(0, i).map((l) => l.trim()).lastIndexOf("{");
      if (open === -1 || !namesInGroup(lines.slice(open + 1, i), names)) return "unknown";
      continue;
    }
    return "unknown";
  }
  return openDelimiter === null ? names : "unknown";
}
