// The runs started from one workflow text (a schedule, a script POSTing the same file, a re-run) parse it once:
// parsing and validating YAML is about half a millisecond of the server's CPU per run. parseWorkflow is a pure
// function of its text and file name, so remembering its last results changes no answer; they are frozen, so no
// caller can change one another caller gets.
import { parseWorkflow, type ParseResult } from "./parse.ts";

/** How many results are kept (most recently used), and the largest text kept. */
const KEPT = 64;
const LARGEST_KEPT = 64 * 1024;

const recent = new Map<string, ParseResult>();

/** parseWorkflow, answered from the recent results when the same text and file were parsed before. */
export function parseWorkflowMemo(text: string, file: string): ParseResult {
  if (text.length > LARGEST_KEPT) return parseWorkflow(text, file);
  const key = `${file}\0${text}`;
  const known = recent.get(key);
  if (known) {
    recent.delete(key);
    recent.set(key, known);
    return known;
  }
  const result = deepFreeze(parseWorkflow(text, file));
  recent.set(key, result);
  if (recent.size > KEPT) recent.delete(recent.keys().next().value!);
  return result;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
