import { describe, expect, it } from "vitest";
import { inferScriptOutputs } from "./index.ts";

const names = (script: string): string[] | "unknown" => {
  const result = inferScriptOutputs(script);
  return result === "unknown" ? result : [...result].sort();
};

describe("inferScriptOutputs", () => {
  it.each<[string, string, string[] | "unknown"]>([
    ["no output file", "make build", []],
    ["quoted echo", 'echo "greeting=hello ${{ inputs.who }}" >> "$SHIPYARD_OUTPUT"', ["greeting"]],
    ["unquoted echo", "echo sha=$(git rev-parse HEAD) >>$SHIPYARD_OUTPUT", ["sha"]],
    ["braced variable", "echo 'v=1' >> ${SHIPYARD_OUTPUT}", ["v"]],
    ["printf", "printf 'n=%s\\n' 3 >> \"$SHIPYARD_OUTPUT\"", ["n"]],
    ["several lines", 'echo "a=1" >> "$SHIPYARD_OUTPUT"\nmake\necho "b=2" >> "$SHIPYARD_OUTPUT"', ["a", "b"]],
    ["group with heredoc", '{\n  echo "log<<EOF"\n  git log\n  echo "EOF"\n  echo "n=1"\n} >> "$SHIPYARD_OUTPUT"', ["log", "n"]],
    ["cat heredoc", "cat >> \"$SHIPYARD_OUTPUT\" <<'END'\nx=1\ny<<EOF\nmulti\nEOF\nEND", ["x", "y"]],
    ["cat heredoc, other order", "cat <<END >> $SHIPYARD_OUTPUT\nz=${{ inputs.a }}\nEND", ["z"]],
    ["piecewise heredoc", 'echo "body<<EOF" >> "$SHIPYARD_OUTPUT"\ncat body.txt >> "$SHIPYARD_OUTPUT"\necho "EOF" >> "$SHIPYARD_OUTPUT"', ["body"]],
    ["cat of a file", 'cat out.env >> "$SHIPYARD_OUTPUT"', "unknown"],
    ["variable name", 'echo "$NAME=1" >> "$SHIPYARD_OUTPUT"', "unknown"],
    ["aliased output path", 'OUT="$SHIPYARD_OUTPUT"\necho "a=1" >> "$OUT"', "unknown"],
    ["group with a command", '{\n  echo "a=1"\n  cat more.env\n} >> "$SHIPYARD_OUTPUT"', "unknown"],
    ["unclosed piecewise heredoc", 'echo "body<<EOF" >> "$SHIPYARD_OUTPUT"', "unknown"],
    ["overwrite", 'echo "a=1" > "$SHIPYARD_OUTPUT"', "unknown"],
  ])("%s", (_name, script, want) => {
    expect(names(script)).toEqual(want);
  });
});
