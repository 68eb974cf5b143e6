// The long-running commands' bodies: `up`, `server` and `worker` (`runner` is ./runner-command.ts). Loaded from the
// TypeScript sources (see ./source.ts) when one of them runs, so that no other command loads the engine or the database.
import { createLogger } from "../logger.ts";
import { guardProcess } from "../host/process-guard.ts";
import { CliError } from "./client.ts";
import { bold, dim } from "./render.ts";
import { sandboxFor } from "./runner-command.ts";
import { onShutdown } from "./shutdown.ts";

const loadServer = () => Promise.all([import("../config.ts"), import("../shipyard.ts")]);
const fenced = (reason: string) => {
  process.stderr.write(`shipyard: stopped: ${reason}; another worker has this one's workflows\n`);
  process.exit(1);
};

/** `shipyard up`: everything in one process, until a signal stops it. */
export async function up(o: { runner: boolean; sandbox: boolean }): Promise<void> {
  const [{ loadConfig }, { startShipyard }] = await loadServer();
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  guardProcess(log);
  const t0 = Date.now();
  // Checked here too so that a machine without bubblewrap is told at once, not by a runner that keeps dying.
  if (o.runner && o.sandbox) sandboxFor(true, () => undefined);
  const { ensureWebUiBuilt } = await import("../server/web-ui.ts");
  await ensureWebUiBuilt((msg) => process.stderr.write(dim(`${msg}\n`)));
  const shipyard = await startShipyard(config, log, { localRunner: o.runner, sandbox: o.sandbox, onFenced: fenced }).catch((err: Error) => {
    throw new CliError(err.message, 1);
  });
  onShutdown(() => shipyard.stop());
  process.stdout.write(
    [
      `${bold("Shipyard is up")} at ${bold(shipyard.url)}  ${dim(`(${Date.now() - t0} ms)`)}`,
      `  sign in:     ${await shipyard.signInUrl()}  ${dim("(one-time link, 15 min)")}`,
      `  admin token: ${shipyard.adminTokenFile}`,
      `  data:        ${config.dataDir}${config.databaseUrl ? " (database: DATABASE_URL)" : ""}`,
      `  try:         npx shipyard run examples/hello.yaml --input who=you`,
      `  API:         ${shipyard.url}/api/v1/openapi.json   metrics: ${shipyard.url}/metrics`,
      `  previews:    http://<project>.${config.previews.baseDomain}:${shipyard.previewPort}/`,
      dim("  Ctrl-C stops everything."),
      "",
    ].join("\n"),
  );
}

/** `shipyard server` or `shipyard worker`: one role until a signal stops it; a worker another took over exits non-zero. */
export async function startRole(role: "server" | "worker"): Promise<void> {
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
  const shipyard = await startShipyard(config, log, { role, onFenced: fenced }).catch((err: Error) => {
    throw new CliError(err.message, 1);
  });
  onShutdown(() => shipyard.stop());
  const where = role === "server" ? `at ${bold(shipyard.url)}` : `as executor ${bold(config.executorId)}`;
  process.stdout.write(`${bold(`Shipyard ${role} is up`)} ${where}  ${dim(`(${Date.now() - t0} ms)`)}\n`);
}
