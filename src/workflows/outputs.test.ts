import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatOutputFile, OutputFileError, parseOutputFile } from "./index.ts";

describe("parseOutputFile", () => {
  it.each<[string, string, Record<string, string>]>([
    ["key=value lines", "a=1\nb=two words\n", { a: "1", b: "two words" }],
    ["values containing =", "url=https://x.test/?a=b&c=d\n", { url: "https://x.test/?a=b&c=d" }],
    ["empty values", "a=\n", { a: "" }],
    ["CRLF line endings", "a=1\r\nb=2\r\n", { a: "1", b: "2" }],
    ["blank lines", "\na=1\n\n   \nb=2", { a: "1", b: "2" }],
    ["later keys win", "a=1\na=2\n", { a: "2" }],
    ["heredocs", "notes<<EOF\nline 1\nline 2\nEOF\nafter=x\n", { notes: "line 1\nline 2", after: "x" }],
    ["heredocs with blank and = lines", "n<<END\n\na=b\n\nEND\n", { n: "\na=b\n" }],
    ["empty heredocs", "n<<EOF\nEOF\n", { n: "" }],
    ["heredocs with CRLF", "n<<EOF\r\none\r\ntwo\r\nEOF\r\n", { n: "one\ntwo" }],
    ["<< inside a key=value value", "cmd=cat <<EOF\n", { cmd: "cat <<EOF" }],
    ["an empty file", "", {}],
  ])("handles %s", (_name, content, want) => {
    expect(parseOutputFile(content)).toEqual(want);
  });

  it.each<[string, string, number, string]>([
    ["a line without = or <<", "a=1\njust text\n", 2, 'expected name=value or name<<DELIMITER, got "just text"'],
    ["a missing name", "=value\n", 1, "missing output name"],
    ["a name with spaces", "a=1\nmy key=2\n", 2, "contains whitespace"],
    ["an unclosed heredoc", "a=1\nb<<EOF\nx\n", 2, 'heredoc "b" is never closed; add a line containing only EOF'],
    ["a heredoc without delimiter", "b<<\n", 1, "needs a delimiter"],
  ])("rejects %s", (_name, content, line, message) => {
    let error: unknown;
    try {
      parseOutputFile(content);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OutputFileError);
    expect((error as OutputFileError).line).toBe(line);
    expect((error as OutputFileError).message).toBe(`line ${line}: ${(error as OutputFileError).message.replace(/^line \d+: /, "")}`);
    expect((error as OutputFileError).message).toContain(message);
  });

  it("round-trips arbitrary records through formatOutputFile", () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,15}$/);
    // Any text without carriage returns (CR is stripped as part of CRLF), including newlines, = and <<.
    const value = fc.string({ unit: fc.constantFrom("a", "Z", "0", " ", "=", "<", "\n", "E", "O", "F", "é", "\t") , maxLength: 40 });
    fc.assert(
      fc.property(fc.dictionary(key, value), (record) => {
        expect(parseOutputFile(formatOutputFile(record))).toEqual(record);
      }),
      { numRuns: 500 },
    );
  });

  it("picks a heredoc delimiter that does not occur in the value", () => {
    const text = formatOutputFile({ tricky: "a\nSHIPYARD_EOF\nb" });
    expect(text).toBe("tricky<<SHIPYARD_EOF_0\na\nSHIPYARD_EOF\nb\nSHIPYARD_EOF_0\n");
    expect(parseOutputFile(text)).toEqual({ tricky: "a\nSHIPYARD_EOF\nb" });
  });
});
