import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
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

/**
 * The server and the runner are loaded when their command runs: every other command (`run`, `logs`, `jobs`, ...)
 * is a small HTTP client that should start in a fraction of the half second the engine's modules take to load.
 */
export const loadServer = () => Promise.all([import("../config.ts"), import("../shipyard.ts")]);

/** Register `up` and `runner`. */
export function registerServerCommands(program: Command): void {
  program
    .command("up")
    .description("start Shipyard: embedded PostgreSQL (unless DATABASE_URL), the API server, the workflow engine and a local runner")
    .option("--no-runner", "do not start the local runner")
    .option("--no-sandbox", "run the local runner's steps without the bubblewrap sandbox (not for untrusted workflows)")
    .action(async (o: { runner: boolean; sandbox: boolean }) => {
      const [{ loadConfig }, { startShipyard }] = await loadServer();
      const config = loadConfig();
      const log = createLogger(config.logLevel);
      guardProcess(log);
      const t0 = Date.now();
      // Checked here too so that a machine without bubblewrap is told at once, not by a runner that keeps dying.
      if (o.runner && o.sandbox) sandboxFor(true, () => undefined);
      const { ensureWebUiBuilt } = await import("../server/web-ui.ts");
      await ensureWebUiBuilt((msg) => process.stderr.write(dim(`${msg}\n`)));
      const fenced = (reason: string) => {
        process.stderr.write(`shipyard: stopped: ${reason}; another worker has this one's workflows\n`);
        process.exit(1);
      };
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
    });

  program
    .command("runner")
    .description("run steps for a Shipyard server (from this or another machine)")
    .option("--server <url>", "server URL (default: SHIPYARD_URL)")
    .option("--token <token>", "runner or owner token (default: SHIPYARD_TOKEN); a shared-pool runner token makes a runner serve every workspace")
    .option("--name <name>", "runner name, unique per workspace", os.hostname())
    .option("--labels <list>", "comma-separated labels", "")
    .option("--slots <n>", "steps run at once", "4")
    .option("--work-dir <dir>", "where run workspaces live", ".shipyard-runner")
    .option("--exit-with-parent [pid]", "stop when the process that started this runner (pid, when given) exits (used by `shipyard up`)")
    .option("--no-sandbox", "run steps without the bubblewrap sandbox, as this user (not for untrusted workflows)")
    .action(async (o: { server?: string; token?: string; name: string; labels: string; slots: string; workDir: string; exitWithParent?: boolean | string; sandbox: boolean }) => {
      const server = o.server ?? process.env.SHIPYARD_URL;
      const token = o.token ?? process.env.SHIPYARD_TOKEN;
      if (!server || !token) throw new CliError("a runner needs --server URL and --token T (or SHIPYARD_URL and SHIPYARD_TOKEN)");
      // Read once: nothing this runner starts (its watchdog, agents) needs to inherit it.
      delete process.env.SHIPYARD_TOKEN;
      const slots = Number(o.slots);
      if (!Number.isInteger(slots) || slots < 1 || slots > 256) throw new CliError(`--slots must be an integer from 1 to 256, got "${o.slots}"`);
      const log = createLogger(process.env.SHIPYARD_LOG_LEVEL ?? "info", "shipyard-runner");
      guardProcess(log);
      const sandbox = sandboxFor(o.sandbox, (msg) => {
        process.stderr.write(`shipyard runner: warning: ${msg}\n`);
        log.warn(msg);
      });
      const { Runner } = await import("../runner/runner.ts");
      const runner = new Runner({
        sandbox,
        serverUrl: server,
        token,
        name: o.name,
        labels: o.labels.split(",").map((l) => l.trim()).filter(Boolean),
        slots,
        workDir: path.resolve(o.workDir),
        log,
      });
      onShutdown(() => runner.stop());
      if (o.exitWithParent) {
        // A server killed with -9 cannot stop its runner; the orphan notices its new parent and leaves. The
        // parent names itself: one killed while this process was still loading would otherwise go unnoticed.
        const parent = typeof o.exitWithParent === "string" ? Number(o.exitWithParent) : process.ppid;
        const watch = setInterval(() => {
          if (process.ppid === parent) return;
          clearInterval(watch);
          void runner.stop().finally(() => process.exit(0));
        }, 500);
        watch.unref();
      }
      // Refused for good (another protocol version, a revoked token): say why and exit non-zero instead of retrying for ever.
      const refused = async (err: Error) => {
        await runner.stop(); // its socket and timers would keep the process alive
        throw new CliError(err.message, 1);
      };
      await runner.start().catch(refused);
      await runner.done.catch(refused);
    });
}
