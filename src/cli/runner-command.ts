// `shipyard runner`: bundled into dist/cli (a chunk of its own, loaded when the command runs), so a runner runs
// compiled and light, without the TypeScript loader the server's commands need (./source.ts): every step it
// starts forks this process, and a fork costs in proportion to the memory the process has written.
import { promises as fs } from "node:fs";
import path from "node:path";
import { createLogger } from "../logger.ts";
import { guardProcess } from "../host/process-guard.ts";
import { detectSandbox, SandboxUnavailableError, type SandboxPolicy } from "../runner/sandbox/policy.ts";
import { CliError } from "./client.ts";
import { onShutdown } from "./shutdown.ts";

/** The sandbox steps will run in, or null with `--no-sandbox` (said loudly); a CliError when there is none. */
export function sandboxFor(enabled: boolean, warn: (msg: string) => void): SandboxPolicy | null {
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
