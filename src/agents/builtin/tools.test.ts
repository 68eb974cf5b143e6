import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { editFile, listFiles, readFile, runCommand, search, writeFile, type ToolContext } from "./tools.ts";
import { ToolError } from "./workspace.ts";

let ws: string;
let outside: string;
let ctx: ToolContext;

beforeEach(async () => {
  ws = await fs.mkdtemp(path.join(os.tmpdir(), "builtin-ws-"));
  outside = await fs.mkdtemp(path.join(os.tmpdir(), "builtin-outside-"));
  await fs.writeFile(path.join(outside, "secret.txt"), "top secret\n");
  ctx = { workspace: ws, commandTimeoutMs: 5_000 };
});

afterEach(async () => {
  await fs.rm(ws, { recursive: true, force: true });
  await fs.rm(outside, { recursive: true, force: true });
});

describe("confinement", () => {
  it("refuses .. escapes, absolute paths outside and symlinks that resolve outside", async () => {
    await fs.symlink(outside, path.join(ws, "link"));
    await fs.symlink(path.join(outside, "secret.txt"), path.join(ws, "secret-link"));
    await fs.symlink(path.join(outside, "nope"), path.join(ws, "dangling"));
    const refused = [
      () => readFile(ctx, { path: "../x" }),
      () => readFile(ctx, { path: "/etc/passwd" }),
      () => readFile(ctx, { path: "sub/../../x" }),
      () => readFile(ctx, { path: "link/secret.txt" }),
      () => readFile(ctx, { path: "secret-link" }),
      () => writeFile(ctx, { path: "link/new.txt", content: "x" }),
      () => writeFile(ctx, { path: "dangling", content: "x" }),
      () => editFile(ctx, { path: "secret-link", old: "top", new: "no" }),
      () => listFiles(ctx, { path: "link" }),
      () => search(ctx, { pattern: "secret", path: "link" }),
      () => search(ctx, { pattern: "x", path: "/etc" }),
    ];
    for (const call of refused) {
      const err = await call().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ToolError);
      expect((err as Error).message).toMatch(/outside the workspace/);
    }
    expect(await fs.readdir(outside)).toEqual(["secret.txt"]);
    expect(await fs.readFile(path.join(outside, "secret.txt"), "utf8")).toBe("top secret\n");
  });

  it("allows paths inside, including absolute ones, in-workspace symlinks and names starting with ..", async () => {
    await writeFile(ctx, { path: "a/b/c.txt", content: "hi" });
    expect(await readFile(ctx, { path: path.join(ws, "a/b/c.txt") })).toBe("hi");
    await fs.symlink(path.join(ws, "a"), path.join(ws, "alias"));
    expect(await readFile(ctx, { path: "alias/b/c.txt" })).toBe("hi");
    await writeFile(ctx, { path: "..dots", content: "ok" });
    expect(await readFile(ctx, { path: "a/../..dots" })).toBe("ok");
  });

  it("does not follow symlinks out of the workspace when listing or searching", async () => {
    await fs.symlink(outside, path.join(ws, "link"));
    await fs.writeFile(path.join(ws, "mine.txt"), "secret of mine\n");
    expect(await listFiles(ctx, {})).toBe("mine.txt");
    expect(await search(ctx, { pattern: "secret" })).toBe("mine.txt:1: secret of mine");
  });
});

describe("edit_file", () => {
  it("replaces exactly one occurrence, literally", async () => {
    await fs.writeFile(path.join(ws, "f.js"), "const a = 1;\nconst b = 2;\n");
    expect(await editFile(ctx, { path: "f.js", old: "b = 2", new: "b = '$&$1'" })).toBe("edited f.js");
    expect(await fs.readFile(path.join(ws, "f.js"), "utf8")).toBe("const a = 1;\nconst b = '$&$1';\n");
  });

  it("refuses text that is absent, not unique or empty, and missing files", async () => {
    await fs.writeFile(path.join(ws, "f.js"), "x = 1;\nx = 1;\n");
    await expect(editFile(ctx, { path: "f.js", old: "y", new: "z" })).rejects.toThrow("old text not found in f.js");
    await expect(editFile(ctx, { path: "f.js", old: "x = 1;", new: "z" })).rejects.toThrow("occurs 2 times");
    await expect(editFile(ctx, { path: "f.js", old: "", new: "z" })).rejects.toThrow("must not be empty");
    await expect(editFile(ctx, { path: "g.js", old: "x", new: "z" })).rejects.toThrow("g.js: no such file");
    expect(await fs.readFile(path.join(ws, "f.js"), "utf8")).toBe("x = 1;\nx = 1;\n");
  });
});

describe("run_command", () => {
  it("runs bash in the workspace with only PATH and HOME", async () => {
    const r = await runCommand({ ...ctx }, { command: "pwd; env | cut -d= -f1 | sort | tr '\\n' ' '; exit 3" });
    expect(r.ok).toBe(false);
    const [status, cwd, env] = r.text.split("\n");
    expect(status).toBe("exit code 3");
    expect(cwd).toBe(await fs.realpath(ws));
    // bash itself adds PWD, SHLVL and _.
    expect(env?.trim().split(" ").filter((k) => !["PWD", "SHLVL", "_"].includes(k))).toEqual(["HOME", "PATH"]);
  });

  it("kills a command (and its children) at the timeout", async () => {
    const started = Date.now();
    const r = await runCommand({ ...ctx, commandTimeoutMs: 300 }, { command: "echo before; sleep 30 & sleep 30; echo after" });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r).toEqual({ ok: false, text: "timed out after 300ms\nbefore\n" });
  });

  it("does not wait for, or leave behind, background processes", async () => {
    const started = Date.now();
    const r = await runCommand(ctx, { command: "sleep 30 & echo $! > pid; echo done" });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r).toEqual({ ok: true, text: "exit code 0\ndone\n" });
    const pid = Number(await fs.readFile(path.join(ws, "pid"), "utf8"));
    await new Promise((done) => setTimeout(done, 100));
    // Gone, or a zombie waiting for its reaper: not running either way.
    const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
    expect(stat === null || /^\d+ \(\S+\) Z/.test(stat)).toBe(true);
  });

  it("stops a command when the signal aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const r = await runCommand({ ...ctx, signal: controller.signal }, { command: "sleep 30" });
    expect(r).toEqual({ ok: false, text: "aborted\n" });
  });

  it("caps the output", async () => {
    const r = await runCommand(ctx, { command: "head -c 50000 /dev/zero | tr '\\0' x" });
    expect(r.ok).toBe(true);
    expect(r.text).toMatch(/^exit code 0\nx{20000}\n\[output truncated: 30000 more bytes\]$/);
  });
});

describe("search and list_files", () => {
  beforeEach(async () => {
    await writeFile(ctx, { path: "src/a.ts", content: "export function add() {}\n// TODO fix\n" });
    await writeFile(ctx, { path: "src/b.ts", content: "export const mul = 1;\n" });
    await writeFile(ctx, { path: "node_modules/dep/index.js", content: "export function add() {}\n" });
    await fs.writeFile(path.join(ws, "bin.dat"), Buffer.from([0, 1, 2, 0x61, 0x64, 0x64]));
  });

  it("matches a JavaScript regex line by line, skipping node_modules and binaries", async () => {
    expect(await search(ctx, { pattern: "export (function|const) \\w+" })).toBe(
      "src/a.ts:1: export function add() {}\nsrc/b.ts:1: export const mul = 1;",
    );
    expect(await search(ctx, { pattern: "TODO", path: "src/a.ts" })).toBe("src/a.ts:2: // TODO fix");
    expect(await search(ctx, { pattern: "nothing here" })).toBe("no matches");
    await expect(search(ctx, { pattern: "(" })).rejects.toThrow(/invalid regular expression/);
  });

  it("caps the number of matches", async () => {
    await writeFile(ctx, { path: "many.txt", content: "hit\n".repeat(500) });
    const out = await search(ctx, { pattern: "hit", path: "many.txt" });
    expect(out.split("\n")).toHaveLength(101);
    expect(out).toMatch(/\[truncated at 100 matches\]$/);
  });

  it("lists recursively with directories marked", async () => {
    expect((await listFiles(ctx, {})).split("\n")).toEqual(["bin.dat", "node_modules/", "src/", "src/a.ts", "src/b.ts"]);
    expect(await listFiles(ctx, { path: "src" })).toBe("src/a.ts\nsrc/b.ts");
  });
});
