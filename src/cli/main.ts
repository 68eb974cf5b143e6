import { CommanderError } from "commander";
import { EXIT } from "./exit-codes.ts";
import { buildProgram } from "./program.ts";

/**
 * A reader that stops early (`shipyard runs | head -1`) closes the pipe under the next write: that is the reader's
 * choice, not an error worth a stack trace.
 */
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(process.exitCode ?? EXIT.ok);
  });
}

/**
 * A CliError thrown by a module loaded from the sources (./source.ts) is another class than the bundle's own,
 * so it is recognised by its name.
 */
function cliExitCode(err: unknown): number | null {
  const code = err instanceof Error && err.name === "CliError" ? (err as Error & { exitCode?: unknown }).exitCode : null;
  return typeof code === "number" ? code : null;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and --version end with 0; every usage error commander finds is the "not done" of the exit rule.
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.notDone;
  } else {
    process.stderr.write(`shipyard: ${(err as Error).message}\n`);
    process.exitCode = cliExitCode(err) ?? EXIT.notDone;
  }
}
