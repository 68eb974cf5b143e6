import type { Logger } from "../logger.ts";
import { RepeatFilter } from "../log-repeats.ts";

/** DBOS's logger on Shipyard's: its info is our debug, and its repeated warnings and errors are thinned. */
export function dbosLogger(log: Logger, filter = new RepeatFilter()) {
  const thinned = (level: "warn" | "error") => (e: unknown) => {
    const text = e instanceof Error ? e.message : String(e);
    const { pass, held } = filter.check(text);
    if (pass) log[level](held > 0 ? { repeated: held } : {}, text);
  };
  return {
    info: (e: unknown) => log.debug(String(e)),
    debug: (e: unknown) => log.trace(String(e)),
    warn: thinned("warn"),
    error: thinned("error"),
  };
}
