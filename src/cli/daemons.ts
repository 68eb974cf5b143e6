// The long-running commands' bodies: `up`, `server`, `worker` and `runner`. Loaded from the TypeScript sources
// (see ./source.ts) when one of them runs, so that no other command loads the engine, the database or the runner.
import { promises as fs } from "node:fs";
import path from "node:path";
import { createLogger } from "../logger.ts";
import { guardProcess } from "../host/process-guard.ts";
import { detectSandbox, SandboxUnavailableError, type SandboxPolicy } from "../runner/sandbox/policy.ts";
import { CliError } from "./client.ts";
import { bold, dim } from "./render.ts";

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

/** The sandbox steps will run in, or null with `--no-sandbox` (said loudly); a CliError when there is none. */
function sandboxFor(enabled: boolean, warn: (msg: string) => void): SandboxPolicy | null {
  if (!enabled) {
    warn("--no-sandbox: steps run unsandboxed, as this user, with its files, network and environment in reach");
    return null;
  }
  try {
    return detectSandbox();
  } catch (err) {
    if (err instanceof SandboxUnavailableError) throw new CliError(err.message, 1);
    throw err;
  }
}

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

/** What `shipyard runner` is given on its command line. */
export interface RunnerCommandOptions {
  server?: string;
  token?: string;
  tokenFile?: string;
  name: string;
  labels: string;
  slots: string;
  workDir: string;
  exitWithParent?: boolean | string;
  sandbox: boolean;
}

/**
 * The runner's token: --token-file, else --token, else SHIPYARD_RUNNER_TOKEN, else SHIPYARD_TOKEN. The
 * variables are removed once read: nothing this runner starts (its watchdog, agents) needs to inherit them.
 */
export async function runnerToken(o: { token?: string; tokenFile?: string }, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  let token = o.token ?? env.SHIPYARD_RUNNER_TOKEN ?? env.SHIPYARD_TOKEN;
  if (o.tokenFile !== undefined) {
    const text = await fs.readFile(o.tokenFile, "utf8").catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read --token-file ${o.tokenFile}: ${err.code ?? err.message}`);
    });
    token = text.trim();
    if (!token) throw new CliError(`--token-file ${o.tokenFile} is empty`);
  }
  delete env.SHIPYARD_RUNNER_TOKEN;
  delete env.SHIPYARD_TOKEN;
  return token || undefined;
}

/** `shipyard runner`: run steps for a server until stopped, or until the server refuses it for good (exit 1). */
export async function runner(o: RunnerCommandOptions): Promise<void> {
  const server = o.server ?? process.env.SHIPYARD_URL;
  const token = await runnerToken(o);
  if (!server || !token) throw new CliError("a runner needs --server URL (or SHIPYARD_URL) and a token: SHIPYARD_RUNNER_TOKEN, --token-file FILE or --token T");
  const slots = Number(o.slots);
  if (!Number.isInteger(slots) || slots < 1 || slots > 256) throw new CliError(`--slots must be an integer from 1 to 256, got "${o.slots}"`);
  const log = createLogger(process.env.SHIPYARD_LOG_LEVEL ?? "info", "shipyard-runner");
  guardProcess(log);
  const sandbox = sandboxFor(o.sandbox, (msg) => {
    process.stderr.write(`shipyard runner: warning: ${msg}\n`);
    log.warn(msg);
  });
  const { Runner } = await import("../runner/runner.ts");
  const r = new Runner({
    sandbox,
    serverUrl: server,
    token,
    name: o.name,
    labels: o.labels.split(",").map((l) => l.trim()).filter(Boolean),
    slots,
    workDir: path.resolve(o.workDir),
    log,
  });
  onShutdown(() => r.stop());
  if (o.exitWithParent) {
    // A server killed with -9 cannot stop its runner; the orphan notices its new parent and leaves. The
    // parent names itself: one killed while this process was still loading would otherwise go unnoticed.
    const parent = typeof o.exitWithParent === "string" ? Number(o.exitWithParent) : process.ppid;
    const watch = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(watch);
      void r.stop().finally(() => process.exit(0));
    }, 500);
    watch.unref();
  }
  // Refused for good (another protocol version, a rejected token): say why and exit non-zero instead of retrying for ever.
  const refused = async (err: Error) => {
    await r.stop(); // its socket and timers would keep the process alive
    throw new CliError(err.message, 1);
  };
  await r.start().catch(refused);
  await r.done.catch(refused);
}
