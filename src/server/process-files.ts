// The HTTP server's way out and the data dir's record of the running process: a server that closes its
// connections instead of waiting on them, and a `server.json` that names the live process (and only that).
import { promises as fs, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import path from "node:path";

/** How long open requests get to finish once the server stops listening, before their sockets are closed. */
const HTTP_GRACE_MS = 1500;

/** Stop listening and end every connection: each as soon as it is idle, busy ones at the end of a short grace. */
export function closeHttp(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    // close() ends only the connections idle at that moment; a response finishing later (an event stream
    // that was just told to end) leaves its kept-alive connection open, so idle ones are swept until the end.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const grace = setTimeout(() => server.closeAllConnections(), HTTP_GRACE_MS);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(grace);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Remove server.json when it is this process's. */
export function forgetServerFile(file: string): void {
  try {
    if ((JSON.parse(readFileSync(file, "utf8")) as { pid?: number }).pid === process.pid) rmSync(file, { force: true });
  } catch {
    // not there, or not ours to remove
  }
}

/** Two Shipyards on one data dir would fight over its PostgreSQL: refuse while the recorded one lives. */
export async function refuseIfRunning(dataDir: string): Promise<void> {
  const text = await fs.readFile(path.join(dataDir, "server.json"), "utf8").catch(() => null);
  if (!text) return;
  let recorded: { pid?: number; url?: string };
  try {
    recorded = JSON.parse(text) as { pid?: number; url?: string };
  } catch {
    return;
  }
  if (!recorded.pid || recorded.pid === process.pid) return;
  const cmdline = await fs.readFile(`/proc/${recorded.pid}/cmdline`, "utf8").catch(() => "");
  if (cmdline.includes("shipyard")) {
    throw new Error(
      `Shipyard is already running on ${dataDir} (pid ${recorded.pid}, ${recorded.url ?? "unknown url"}); stop it first or set SHIPYARD_DATA_DIR to another directory`,
    );
  }
}
