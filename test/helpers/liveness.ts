import { promises as fs } from "node:fs";

/** True while the process exists and is not a zombie (a killed orphan waits for init to reap it). */
export async function isRunning(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat === null) return false;
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

/** Poll until the process is gone or `timeoutMs` passes; true when it is gone. */
export async function goneWithin(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isRunning(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * Host pids of the processes whose command line contains `marker`. Sandboxed steps live in PID namespaces of
 * their own, so a pid a step prints means nothing here; a unique marker in its command line finds it.
 */
export async function pidsWith(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(marker) && (await isRunning(Number(entry)))) pids.push(Number(entry));
  }
  return pids;
}

/** A `sleep` argument no other process has: 299 seconds and a random fraction. */
export function uniqueSleep(): string {
  return `299.${Math.floor(Math.random() * 1e9)}`;
}
