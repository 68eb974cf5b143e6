import { spawn, type ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../src/db/embedded.ts";
import { waitFor } from "./shipyard.ts";

export const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "shipyard.js");

/** A `shipyard up` running as a real child process in a process group of its own. */
export interface UpProcess {
  child: ChildProcess;
  url: string;
  token: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Ports for a data dir that must stay the same across restarts. */
export async function reservePorts(): Promise<{ port: number; pgPort: number }> {
  return { port: await freePort(), pgPort: await freePort() };
}

/** Spawn `shipyard up` and wait until /readyz answers 200. */
export async function startUp(dataDir: string, ports: { port: number; pgPort: number }, extraEnv: Record<string, string> = {}): Promise<UpProcess> {
  let out = "";
  const child = spawn(process.execPath, [BIN, "up"], {
    env: {
      ...process.env,
      SHIPYARD_DATA_DIR: dataDir,
      SHIPYARD_PORT: String(ports.port),
      SHIPYARD_PG_PORT: String(ports.pgPort),
      SHIPYARD_LOG_LEVEL: "warn",
      SHIPYARD_RUNNER_SLOTS: "4",
      ...extraEnv,
    },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${ports.port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`shipyard up exited with ${child.exitCode}:\n${out}`);
      const res = await fetch(`${url}/readyz`).catch(() => null);
      if (res?.status !== 200) return false;
      // The local runner connects just after the server is ready.
      return out.includes("Shipyard is up");
    },
    60_000,
    "shipyard up to be ready",
  );
  const token = (await fs.readFile(path.join(dataDir, "admin-token"), "utf8")).trim();
  return { child, url, token, output: () => out, exited };
}

/** SIGKILL a process's whole group (the server, its runner, its PostgreSQL) and wait for it to be gone. */
export async function killGroup(p: UpProcess): Promise<void> {
  process.kill(-p.child.pid!, "SIGKILL");
  await p.exited;
}
