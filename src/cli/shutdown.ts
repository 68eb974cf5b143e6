// Stopping a long-running command (`up`, `server`, `worker`, `runner`) on SIGINT/SIGTERM, within a deadline.
import { dim } from "./render.ts";

/** However stuck a step of the shutdown is, the process is gone this long after the signal. */
const STOP_DEADLINE_MS = 5000;
/**
 * A signal this soon after the first is the same Ctrl-C arriving twice: the terminal sends it to the whole
 * foreground group and `npm start` forwards its own copy to the process it runs.
 */
const SAME_SIGNAL_MS = 1000;

/**
 * Run `stop` once on SIGINT/SIGTERM and exit when it is done, or at the deadline (what `exit` hooks do then
 * still happens: the embedded PostgreSQL is told to stop, server.json goes); a later second signal exits at once.
 */
export function onShutdown(stop: () => Promise<void>): void {
  let stoppingSince = 0;
  const handler = (signal: NodeJS.Signals) => {
    if (stoppingSince > 0) {
      if (Date.now() - stoppingSince < SAME_SIGNAL_MS) return;
      process.exit(130);
    }
    stoppingSince = Date.now();
    process.stderr.write(dim(`\n${signal}: stopping…\n`));
    setTimeout(() => {
      process.stderr.write(`shipyard: still stopping after ${STOP_DEADLINE_MS} ms; exiting now\n`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}

