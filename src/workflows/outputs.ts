/** The `$SHIPYARD_OUTPUT` file a step writes its outputs to: `key=value` lines and `key<<DELIM` heredocs. */

/** A malformed output file; `line` is 1-based. */
export class OutputFileError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "OutputFileError";
  }
}

/** Checks an output name; whitespace is rejected because it is almost always a stray space around `=`. */
function checkKey(key: string, line: number): void {
  if (key === "") throw new OutputFileError("missing output name before = or <<", line);
  if (/\s/.test(key)) throw new OutputFileError(`output name ${JSON.stringify(key)} contains whitespace; write name=value without spaces around =`, line);
}

/** Parses an output file into a record; later keys win. */
export function parseOutputFile(content: string): Record<string, string> {
  const lines = content.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  // A trailing newline leaves an empty last element that is not a real line.
  if (lines[lines.length - 1] === "") lines.pop();
  const values = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const lineNo = i + 1;
    if (line.trim() === "") continue;
    const eq = line.indexOf("=");
    const heredoc = line.indexOf("<<");
    if (heredoc !== -1 && (eq === -1 || heredoc < eq)) {
      const key = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      checkKey(key, lineNo);
      if (delimiter.trim() === "") throw new OutputFileError(`heredoc for ${JSON.stringify(key)} needs a delimiter, e.g. ${key}<<EOF`, lineNo);
      const end = lines.indexOf(delimiter, i + 1);
      if (end === -1) {
        throw new OutputFileError(`heredoc ${JSON.stringify(key)} is never closed; add a line containing only ${delimiter}`, lineNo);
      }
      values.set(key, lines.slice(i + 1, end).join("\n"));
      i = end;
    } else if (eq !== -1) {
      const key = line.slice(0, eq);
      checkKey(key, lineNo);
      values.set(key, line.slice(eq + 1));
    } else {
      throw new OutputFileError(`expected name=value or name<<DELIMITER, got ${JSON.stringify(line)}`, lineNo);
    }
  }
  return Object.fromEntries(values);
}

/** Writes outputs in the form parseOutputFile reads, choosing a heredoc delimiter that does not occur in the value. */
export function formatOutputFile(outputs: Readonly<Record<string, string>>): string {
  let out = "";
  for (const [key, value] of Object.entries(outputs)) {
    if (!value.includes("\n") && !value.includes("\r")) {
      out += `${key}=${value}\n`;
      continue;
    }
    const lines = new Set(value.split("\n"));
    let delimiter = "SHIPYARD_EOF";
    for (let n = 0; lines.has(delimiter); n++) delimiter = `SHIPYARD_EOF_${n}`;
    out += `${key}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
  return out;
}
