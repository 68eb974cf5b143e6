// `shipyard server` and `shipyard worker`: Shipyard split over one shared PostgreSQL (DATABASE_URL), for as many
// of each as the load needs. `shipyard up` stays the all-in-one process.
import type { Command } from "commander";
import { guardProcess } from "../host/process-guard.ts";
import { createLogger } from "../logger.ts";
import { CliError } from "./client.ts";
import { bold, dim } from "./render.ts";
import { loadServer, onShutdown } from "./serve.ts";

/** Start one role until a signal stops it; a worker another took over exits non-zero. */
async function startRole(role: "server" | "worker"): Promise<void> {
  const [{ loadConfig }, { startShipyard }] = await loadServer();
  const config = loadConfig();
  if (!config.databaseUrl) throw new CliError(`shipyard ${role} needs DATABASE_URL, the PostgreSQL every server and worker shares (\`shipyard up\` runs an embedded one)`, 2);
  if (!process.env.SHIPYARD_SECRET_KEY) {
    process.stderr.write(
      `shipyard ${role}: warning: SHIPYARD_SECRET_KEY is not set, so the key in ${config.dataDir} is used: every server and worker must share one key (secrets and task tokens)\n`,
    );
  }
  const log = createLogger(config.logLevel);
  guardProcess(log);
  const t0 = Date.now();
  const fenced = (reason: string) => {
    process.stderr.write(`shipyard: stopped: ${reason}; another worker has this one's workflows\n`);
    process.exit(1);
  };
  const shipyard = await startShipyard(config, log, { role, onFenced: fenced }).catch((err: Error) => {
    throw new CliError(err.message, 1);
  });
  onShutdown(() => shipyard.stop());
  const where = role === "server" ? `at ${bold(shipyard.url)}` : `as executor ${bold(config.executorId)}`;
  process.stdout.write(`${bold(`Shipyard ${role} is up`)} ${where}  ${dim(`(${Date.now() - t0} ms)`)}\n`);
}

/** Register `server` and `worker`. */
export function registerSplitCommands(program: Command): void {
  program
    .command("server")
    .description("the API, event streams and the runner gateway, without running workflows (needs DATABASE_URL and a `shipyard worker`)")
    .action(() => startRole("server"));
  program
    .command("worker")
    .description("run workflows and queues, without HTTP (needs DATABASE_URL; give each worker its own SHIPYARD_EXECUTOR_ID)")
    .action(() => startRole("worker"));
}
