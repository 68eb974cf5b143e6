// The built-in agent's tools: plain functions over a confined workspace (each returns the text the model sees
// or throws ToolError), and their AI SDK definitions (schemas only: the agent loop executes them itself).
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { tool } from "ai";
import { z } from "zod";
import { confine, relative, ToolError } from "./workspace.ts";

/** Caps on what a tool hands back to the model. */
export const LIMITS = {
  readBytes: 100_000,
  listEntries: 500,
  searchMatches: 100,
  searchFileBytes: 1_000_000,
  lineChars: 300,
  commandOutputBytes: 20_000,
} as const;

const SKIP_DIRS = new Set([".git", "node_modules"]);

/** What every tool needs: the workspace and the command settings. */
export interface ToolContext {
  workspace: string;
  commandTimeoutMs: number;
  signal?: AbortSignal;
}

export async function readFile(ctx: ToolContext, args: { path: string }): Promise<string> {
  const file = await confine(ctx.workspace, args.path);
  const stat = await fs.stat(file).catch(() => null);
  if (!stat) throw new ToolError(`${args.path}: no such file`);
  if (stat.isDirectory()) throw new ToolError(`${args.path} is a directory; use list_files`);
  const buf = await fs.readFile(file);
  if (buf.length > LIMITS.readBytes) {
    return `${buf.subarray(0, LIMITS.readBytes).toString("utf8")}\n[truncated: showing ${LIMITS.readBytes} of ${buf.length} bytes]`;
  }
  return buf.toString("utf8");
}

export async function writeFile(ctx: ToolContext, args: { path: string; content: string }): Promise<string> {
  const file = await confine(ctx.workspace, args.path);
  const stat = await fs.stat(file).catch(() => null);
  if (stat?.isDirectory()) throw new ToolError(`${args.path} is a directory`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, args.content);
  return `wrote ${Buffer.byteLength(args.content)} bytes to ${args.path}`;
}

export async function editFile(ctx: ToolContext, args: { path: string; old: string; new: string }): Promise<string> {
  if (args.old.length === 0) throw new ToolError("old must not be empty; use write_file to create or overwrite a file");
  const file = await confine(ctx.workspace, args.path);
  const text = await fs.readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new ToolError(err.code === "ENOENT" ? `${args.path}: no such file` : `${args.path}: ${err.code ?? err.message}`);
  });
  const first = text.indexOf(args.old);
  if (first < 0) throw new ToolError(`old text not found in ${args.path}`);
  let count = 0;
  for (let i = first; i >= 0; i = text.indexOf(args.old, i + args.old.length)) count++;
  if (count > 1) throw new ToolError(`old text occurs ${count} times in ${args.path}; include more context so it is unique`);
  // Slicing, not String.replace: `$&` and friends in the new text must stay literal.
  await fs.writeFile(file, text.slice(0, first) + args.new + text.slice(first + args.old.length));
  return `edited ${args.path}`;
}

export async function listFiles(ctx: ToolContext, args: { path?: string }): Promise<string> {
  const dir = await confine(ctx.workspace, args.path ?? ".");
  const stat = await fs.stat(dir).catch(() => null);
  if (!stat) throw new ToolError(`${args.path ?? "."}: no such directory`);
  if (!stat.isDirectory()) throw new ToolError(`${args.path} is a file; use read_file`);
  const root = await fs.realpath(ctx.workspace);
  const out: string[] = [];
  let more = false;
  for await (const entry of walk(dir)) {
    if (out.length >= LIMITS.listEntries) {
      more = true;
      break;
    }
    out.push(relative(root, entry.path) + (entry.dir ? "/" : ""));
  }
  if (out.length === 0) return "(empty)";
  return out.join("\n") + (more ? `\n[truncated at ${LIMITS.listEntries} entries]` : "");
}

export async function search(ctx: ToolContext, args: { pattern: string; path?: string }): Promise<string> {
  let re: RegExp;
  try {
    re = new RegExp(args.pattern);
  } catch (err) {
    throw new ToolError(`invalid regular expression: ${(err as Error).message}`);
  }
  const start = await confine(ctx.workspace, args.path ?? ".");
  const root = await fs.realpath(ctx.workspace);
  const stat = await fs.stat(start).catch(() => null);
  if (!stat) throw new ToolError(`${args.path ?? "."}: no such file or directory`);
  const files = stat.isDirectory() ? walk(start) : single(start);
  const out: string[] = [];
  for await (const entry of files) {
    if (entry.dir) continue;
    const s = await fs.stat(entry.path).catch(() => null);
    if (!s || s.size > LIMITS.searchFileBytes) continue;
    const buf = await fs.readFile(entry.path);
    if (buf.includes(0)) continue; // binary
    const lines = buf.toString("utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? "";
      if (!re.test(line)) continue;
      if (out.length >= LIMITS.searchMatches) return out.join("\n") + `\n[truncated at ${LIMITS.searchMatches} matches]`;
      out.push(`${relative(root, entry.path)}:${i + 1}: ${line.length > LIMITS.lineChars ? line.slice(0, LIMITS.lineChars) + "…" : line}`);
    }
  }
  return out.length ? out.join("\n") : "no matches";
}

/** The outcome of run_command: the text for the model and whether the command succeeded. */
export interface CommandResult {
  text: string;
  ok: boolean;
}

export async function runCommand(ctx: ToolContext, args: { command: string }): Promise<CommandResult> {
  const cwd = await confine(ctx.workspace, ".");
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", args.command], {
      cwd,
      env: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOME: process.env.HOME ?? ctx.workspace },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so a timeout kills everything it started
    });
    const chunks: Buffer[] = [];
    let size = 0;
    const take = (b: Buffer) => {
      const room = LIMITS.commandOutputBytes - size;
      if (room > 0) chunks.push(b.subarray(0, room));
      size += b.length;
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    let why: string | null = null;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    };
    const kill = (reason: string) => {
      why ??= reason;
      killGroup();
    };
    // When bash exits, whatever it left running in the background goes too (and releases the output pipes).
    child.on("exit", killGroup);
    const timer = setTimeout(() => kill(`timed out after ${ctx.commandTimeoutMs}ms`), ctx.commandTimeoutMs);
    const onAbort = () => kill("aborted");
    ctx.signal?.addEventListener("abort", onAbort, { once: true });
    if (ctx.signal?.aborted) onAbort();
    child.on("error", (err) => {
      clearTimeout(timer);
      ctx.signal?.removeEventListener("abort", onAbort);
      reject(new ToolError(`could not start bash: ${err.message}`));
    });
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      ctx.signal?.removeEventListener("abort", onAbort);
      let output = Buffer.concat(chunks).toString("utf8");
      const dropped = size - LIMITS.commandOutputBytes;
      if (dropped > 0) output += `\n[output truncated: ${dropped} more bytes]`;
      const status = why ?? (code !== null ? `exit code ${code}` : `killed by ${sig}`);
      resolve({ text: `${status}\n${output}`, ok: why === null && code === 0 });
    });
  });
}

interface Entry {
  path: string;
  dir: boolean;
}

/** Files and directories under `dir`, depth first, sorted, without following symlinks or entering .git/node_modules. */
async function* walk(dir: string): AsyncGenerator<Entry> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      yield { path: p, dir: true };
      if (!SKIP_DIRS.has(e.name)) yield* walk(p);
    } else if (e.isFile()) {
      yield { path: p, dir: false };
    }
  }
}

async function* single(file: string): AsyncGenerator<Entry> {
  yield { path: file, dir: false };
}

/** The tools' definitions for the model. No `execute`: the agent loop runs them, so it can check each call first. */
export const toolDefinitions = {
  read_file: tool({
    description: "Read a UTF-8 text file in the workspace.",
    inputSchema: z.object({ path: z.string().describe("Path relative to the workspace root") }),
  }),
  write_file: tool({
    description: "Create or overwrite a file in the workspace with the given content (parent directories are created).",
    inputSchema: z.object({ path: z.string(), content: z.string() }),
  }),
  edit_file: tool({
    description: "Replace the exact text `old` with `new` in a file. `old` must occur exactly once.",
    inputSchema: z.object({ path: z.string(), old: z.string(), new: z.string() }),
  }),
  list_files: tool({
    description: "List files and directories under a workspace directory (recursive; .git and node_modules are not entered).",
    inputSchema: z.object({ path: z.string().optional().describe("Directory, default the workspace root") }),
  }),
  search: tool({
    description: "Search workspace files line by line with a JavaScript regular expression; prints path:line: text.",
    inputSchema: z.object({ pattern: z.string(), path: z.string().optional().describe("File or directory, default the workspace root") }),
  }),
  run_command: tool({
    description: "Run a bash command in the workspace root (clean environment, time limit); prints the exit status and output.",
    inputSchema: z.object({ command: z.string() }),
  }),
};

export type ToolName = keyof typeof toolDefinitions;

/** Tools that change files; a successful one resets loop detection. */
export const MUTATING: ReadonlySet<string> = new Set<ToolName>(["write_file", "edit_file"]);

/** Run tool `name` with already validated `args`. */
export async function executeTool(ctx: ToolContext, name: ToolName, args: Record<string, unknown>): Promise<CommandResult> {
  switch (name) {
    case "read_file":
      return { text: await readFile(ctx, args as { path: string }), ok: true };
    case "write_file":
      return { text: await writeFile(ctx, args as { path: string; content: string }), ok: true };
    case "edit_file":
      return { text: await editFile(ctx, args as { path: string; old: string; new: string }), ok: true };
    case "list_files":
      return { text: await listFiles(ctx, args as { path?: string }), ok: true };
    case "search":
      return { text: await search(ctx, args as { pattern: string; path?: string }), ok: true };
    case "run_command":
      return runCommand(ctx, args as { command: string });
  }
}
