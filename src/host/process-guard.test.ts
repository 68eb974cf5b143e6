import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..", "..");

describe("guardProcess", () => {
  it("keeps a process alive through an unhandled rejection and an uncaught exception, logging both", () => {
    // A real child process: the default for either is to end it (exit 1).
    const script = `
      import { register } from "tsx/esm/api";
      register();
      const { guardProcess, escaped } = await import("./src/host/process-guard.ts");
      const { createLogger } = await import("./src/logger.ts");
      if (process.argv.includes("--guard")) guardProcess(createLogger("error"));
      Promise.reject(new Error("nobody awaited me"));
      setTimeout(() => { throw new Error("thrown in a timer"); }, 10);
      setTimeout(() => { console.log("still alive", JSON.stringify(escaped)); }, 100);
    `;
    const run = (...args: string[]) => spawnSync(process.execPath, ["--input-type=module", "-e", script, "--", ...args], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
    const unguarded = run();
    expect(unguarded.status).toBe(1);
    expect(unguarded.stdout).not.toContain("still alive");
    const guarded = run("--guard");
    expect(guarded.status).toBe(0);
    expect(guarded.stdout).toContain('still alive {"rejections":1,"exceptions":1}');
    expect(guarded.stderr).toContain("nobody awaited me");
    expect(guarded.stderr).toContain("thrown in a timer");
  });
});
