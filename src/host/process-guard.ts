// The last line of defence of a long-running Shipyard process (`up`, `server`, `runner`): an error that escaped
// every operation's own handling (a promise nobody awaited, an emitter's 'error' nobody listened to) is logged
// and counted instead of ending the process, which would take every other run and job down with it and, on
// restart, replay the same work into the same crash.
import type { Logger } from "../logger.ts";

/** How many escaped errors this process has survived (for tests and metrics). */
export const escaped = { rejections: 0, exceptions: 0 };

let installed = false;

/** Log and survive unhandled rejections and uncaught exceptions from here on (idempotent). */
export function guardProcess(log: Logger): void {
  if (installed) return;
  installed = true;
  process.on("unhandledRejection", (reason) => {
    escaped.rejections += 1;
    const err = reason instanceof Error ? reason : new Error(String(reason));
    log.error({ err: err.message, stack: err.stack }, "unhandled rejection (a bug: the operation that caused it should have caught it); the process goes on");
  });
  process.on("uncaughtException", (err, origin) => {
    escaped.exceptions += 1;
    log.error({ err: err.message, stack: err.stack, origin }, "uncaught exception (a bug: the operation that caused it should have caught it); the process goes on");
  });
}
