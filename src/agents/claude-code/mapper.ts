// The runner-side filter: Claude Code's stream-json on stdin → one readable line per event (stdout; errors on
// stderr), usage and cost appended to $SHIPYARD_OUTPUT, exit 1 when the final result is an error or missing.
import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { mapClaudeLine, resultOutputs, type ClaudeResult } from "./stream.ts";

export async function runClaudeMapper(
  input: NodeJS.ReadableStream = process.stdin,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  outputFile: string | undefined = process.env.SHIPYARD_OUTPUT,
): Promise<number> {
  let result: ClaudeResult | null = null;
  for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
    const mapped = mapClaudeLine(raw);
    if (mapped.kind === "result") result = mapped.detail as ClaudeResult;
    if (mapped.line) (mapped.level === "error" ? err : out).write(`${mapped.line}\n`);
  }
  if (!result) {
    err.write("✗ claude ended without a result\n");
    return 1;
  }
  if (outputFile) appendFileSync(outputFile, resultOutputs(result));
  return result.isError ? 1 : 0;
}
