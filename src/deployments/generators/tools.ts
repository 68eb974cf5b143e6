// The checks only a tool's own binary can make (`helm lint`, `terraform validate`), run when that binary is on
// the PATH. The files are written to a fresh temporary directory; the binary runs with an argument vector
// (never a shell), a bounded time and an environment of its own (no host secrets), and the directory is
// removed afterwards.
import { execFile } from "node:child_process";
import { constants, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { GeneratedFile, ValidateOptions } from "./spec.ts";

const DEFAULT_TIMEOUT_MS = 120_000;

/** Where `name` is on `searchPath` (a PATH value), or undefined. */
export async function findOnPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await fs.access(candidate, constants.X_OK);
      if ((await fs.stat(candidate)).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** How one run of a tool ended: its exit code (null when it was killed) and what it printed. */
export interface ToolRun {
  code: number | null;
  output: string;
  timedOut: boolean;
}

/** The binary and the options validate runs it with, or undefined when it is not installed. */
export async function locateTool(name: string, options: ValidateOptions = {}): Promise<{ binary: string; searchPath: string; timeoutMs: number } | undefined> {
  const searchPath = options.toolPath ?? process.env.PATH ?? "";
  const binary = await findOnPath(name, searchPath);
  return binary ? { binary, searchPath, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS } : undefined;
}

/** Write `files` under a new temporary directory, call `use` with it, then remove it. */
export async function withFilesOnDisk<T>(files: GeneratedFile[], use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-generated-"));
  try {
    for (const file of files) {
      const target = path.join(dir, file.path);
      // Generated paths are relative and normalised; one that is not never leaves the directory.
      if (!target.startsWith(dir + path.sep)) throw new Error(`${file.path}: not a path inside the repository`);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, file.content);
    }
    return await use(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Run `binary args` in `cwd`; resolves however it ends. */
export function runTool(binary: string, args: string[], opts: { cwd: string; searchPath: string; timeoutMs: number; env?: Record<string, string> }): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(
      binary,
      args,
      { cwd: opts.cwd, timeout: opts.timeoutMs, maxBuffer: 4 * 1024 * 1024, env: { PATH: opts.searchPath, HOME: opts.cwd, ...opts.env } },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`.trim();
        if (!err) return resolve({ code: 0, output, timedOut: false });
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string };
        resolve({ code: typeof e.code === "number" ? e.code : null, output: output || e.message, timedOut: e.killed === true && e.signal === "SIGTERM" });
      },
    );
  });
}

/** The last lines of a tool's output, enough to say what it found. */
export function tail(output: string, lines = 20): string {
  return output.split("\n").slice(-lines).join("\n");
}
