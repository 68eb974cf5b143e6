import os from "node:os";
import type { Command } from "commander";
import type { RunnerCommandOptions } from "./runner-command.ts";
import { daemons } from "./source.ts";

/** Register `up` and `runner`; their bodies load when they run (./daemons.ts, ./runner-command.ts). */
export function registerServerCommands(program: Command): void {
  program
    .command("up")
    .description("start Shipyard: embedded PostgreSQL (unless DATABASE_URL), the API server, the workflow engine and a local runner")
    .option("--no-runner", "do not start the local runner")
    .option("--no-sandbox", "run the local runner's steps without the bubblewrap sandbox (not for untrusted workflows)")
    .action(async (o: { runner: boolean; sandbox: boolean }) => (await daemons()).up(o));

  program
    .command("runner")
    .description("run steps for a Shipyard server (from this or another machine)")
    .option("--server <url>", "server URL (default: SHIPYARD_URL)")
    .option("--token-file <file>", "read the runner or owner token from this file (default: SHIPYARD_RUNNER_TOKEN, else SHIPYARD_TOKEN); a shared-pool runner token makes a runner serve every workspace")
    .option("--token <token>", "the token itself (visible in `ps`: prefer SHIPYARD_RUNNER_TOKEN or --token-file)")
    .option("--name <name>", "runner name, unique per workspace", os.hostname())
    .option("--labels <list>", "comma-separated labels", "")
    .option("--slots <n>", "steps run at once", "4")
    .option("--work-dir <dir>", "where run workspaces live", ".shipyard-runner")
    .option("--exit-with-parent [pid]", "stop when the process that started this runner (pid, when given) exits (used by `shipyard up`)")
    .option("--no-sandbox", "run steps without the bubblewrap sandbox, as this user (not for untrusted workflows)")
    .action(async (o: RunnerCommandOptions) => (await import("./runner-command.ts")).runner(o));
}
