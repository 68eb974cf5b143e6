import { existsSync, promises as fs, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { editFile, listFiles, readFile, runCommand, search, writeFile, type ToolContext } from "./tools.ts";
import { confine, MAX_SYMLINK_HOPS, ToolError } from "./workspace.ts";

let ws: string;
let outside: string;
let ctx: ToolContext;

beforeEach(async () => {
  ws = realpathSync(await fs.mkdtemp(path.join(os.tmpdir(), "confine-ws-")));
  outside = realpathSync(await fs.mkdtemp(path.join(os.tmpdir(), "confine-outside-")));
  ctx = { workspace: ws, commandTimeoutMs: 5_000 };
});
afterEach(async () => {
  await fs.rm(ws, { recursive: true, force: true });
  await fs.rm(outside, { recursive: true, force: true });
});

/** The ToolError a call fails with (the test fails when it succeeds or fails otherwise). */
async function refusal(call: () => Promise<unknown>): Promise<string> {
  const err = await call().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ToolError);
  return (err as Error).message;
}

/** `l1 -> l2 -> ... -> l<hops> -> final` in the workspace; the links between names are relative, the last absolute. */
async function chain(name: string, hops: number, final: string): Promise<void> {
  for (let i = 1; i <= hops; i++) {
    const to = i === hops ? final : `${name}${i + 1}`;
    await fs.symlink(to, path.join(ws, `${name}${i}`));
  }
}

describe("confine follows whole symlink chains", () => {
  for (const hops of [1, 2, 3]) {
    for (const dangling of [true, false]) {
      const kind = `${hops}-hop ${dangling ? "dangling" : "existing"}`;

      it(`refuses a ${kind} chain that ends outside, for every tool, and creates or changes nothing there`, async () => {
        const final = path.join(outside, "file");
        if (!dangling) await fs.writeFile(final, "outside\n");
        await chain("l", hops, final);
        for (const call of [
          () => writeFile(ctx, { path: "l1", content: "pwned" }),
          () => readFile(ctx, { path: "l1" }),
          () => editFile(ctx, { path: "l1", old: "outside", new: "pwned" }),
          () => search(ctx, { pattern: "outside", path: "l1" }),
          () => listFiles(ctx, { path: "l1" }),
        ]) {
          expect(await refusal(call)).toMatch(/resolves outside the workspace/);
        }
        if (dangling) expect(existsSync(final)).toBe(false);
        else expect(await fs.readFile(final, "utf8")).toBe("outside\n");
      });

      it(`follows a ${kind} chain that ends inside`, async () => {
        const final = path.join(ws, "real", "file");
        await fs.mkdir(path.dirname(final));
        if (!dangling) await fs.writeFile(final, "before");
        await chain("l", hops, final);
        await writeFile(ctx, { path: "l1", content: "after" });
        expect(await fs.readFile(final, "utf8")).toBe("after");
        expect(await readFile(ctx, { path: "l1" })).toBe("after");
        expect(await confine(ws, "l1")).toBe(final);
      });
    }
  }
});

describe("confine through symlinked directories", () => {
  it("refuses a directory link out, a chain of directory links out, and a relative link that climbs out", async () => {
    await fs.mkdir(path.join(ws, "real"));
    await fs.symlink(outside, path.join(ws, "out"));
    await fs.symlink("out", path.join(ws, "via"));
    await fs.symlink(path.join(outside, "nested", "deeper"), path.join(ws, "real", "inner"));
    await fs.symlink("real/../..", path.join(ws, "up"));
    await fs.symlink("..", path.join(ws, "real", "parent"));
    for (const p of ["out/new.txt", "via/new.txt", "real/inner/new.txt", `up/${path.basename(outside)}/new.txt`, "real/parent/../x"]) {
      expect(await refusal(() => writeFile(ctx, { path: p, content: "x" })), p).toMatch(/outside the workspace/);
    }
    expect(await fs.readdir(outside)).toEqual([]);
  });

  it("allows directory links that stay inside, and links that point back in by an absolute path", async () => {
    await fs.mkdir(path.join(ws, "real"));
    await fs.symlink("real", path.join(ws, "alias"));
    await fs.symlink(path.join(ws, "real"), path.join(ws, "abs"));
    await fs.symlink("..", path.join(ws, "real", "parent"));
    await writeFile(ctx, { path: "alias/a.txt", content: "1" });
    await writeFile(ctx, { path: "abs/sub/b.txt", content: "2" });
    expect(await fs.readFile(path.join(ws, "real", "a.txt"), "utf8")).toBe("1");
    expect(await fs.readFile(path.join(ws, "real", "sub", "b.txt"), "utf8")).toBe("2");
    expect(await confine(ws, "real/parent/alias/a.txt")).toBe(path.join(ws, "real", "a.txt"));
  });

  it("stops at symlink loops and at more than the kernel's number of hops", async () => {
    await fs.symlink("loop2", path.join(ws, "loop1"));
    await fs.symlink("loop1", path.join(ws, "loop2"));
    expect(await refusal(() => writeFile(ctx, { path: "loop1", content: "x" }))).toMatch(`more than ${MAX_SYMLINK_HOPS} symlinks`);
    await chain("c", MAX_SYMLINK_HOPS + 1, path.join(ws, "end"));
    expect(await refusal(() => readFile(ctx, { path: "c1" }))).toMatch(`more than ${MAX_SYMLINK_HOPS} symlinks`);
    await fs.rm(path.join(ws, "c1"));
    await writeFile(ctx, { path: "c2", content: "forty hops are fine" });
    expect(await fs.readFile(path.join(ws, "end"), "utf8")).toBe("forty hops are fine");
  });
});

describe("every tool works inside the confined workspace", () => {
  it("lists and searches without following links out, and runs commands in the workspace", async () => {
    await fs.writeFile(path.join(outside, "secret.txt"), "needle outside\n");
    await fs.writeFile(path.join(ws, "mine.txt"), "needle inside\n");
    await fs.symlink(outside, path.join(ws, "out"));
    await fs.symlink(path.join(outside, "secret.txt"), path.join(ws, "secret-link"));
    expect(await search(ctx, { pattern: "needle" })).toBe("mine.txt:1: needle inside");
    expect(await listFiles(ctx, {})).toBe("mine.txt");
    const pwd = await runCommand(ctx, { command: "pwd" });
    expect(pwd.text.trim().split("\n").at(-1)).toBe(ws);
  });
});
