import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { goneWithin, isRunning } from "../../test/helpers/liveness.ts";

const FIXTURE = path.join(import.meta.dirname, "..", "..", "test", "fixtures", "orphaned-step.ts");
const TSX = path.join(import.meta.dirname, "..", "..", "node_modules", "tsx", "dist", "cli.mjs");

describe("leftover step processes", () => {
  it("a step in its own process group dies within seconds when its runner is killed with SIGKILL", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-leftovers-"));
    const runner = spawn(process.execPath, [TSX, FIXTURE, dir], { stdio: ["ignore", "pipe", "inherit"] });
    const stepPid = await new Promise<number>((resolve, reject) => {
      runner.stdout.once("data", (d: Buffer) => resolve(Number(String(d).trim())));
      runner.once("exit", () => reject(new Error("the stand-in runner exited early")));
    });
    expect(await isRunning(stepPid)).toBe(true);
    // tsx runs the script in a child node process: kill the whole tree the way a crash would.
    const tree = await fs.readFile(`/proc/${runner.pid}/task/${runner.pid}/children`, "utf8").catch(() => "");
    for (const pid of tree.split(/\s+/).filter(Boolean)) process.kill(Number(pid), "SIGKILL");
    runner.kill("SIGKILL");
    expect(await goneWithin(stepPid, 5_000)).toBe(true);
  });
});
