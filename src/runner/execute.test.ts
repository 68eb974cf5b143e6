import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { goneWithin } from "../../test/helpers/liveness.ts";
import { executeTask } from "./execute.ts";
import type { LogLine, TaskMessage } from "./protocol.ts";

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-exec-"));
});

function task(command: string, extra: Partial<TaskMessage["spec"]> = {}): TaskMessage {
  return { taskId: "run_x:step:1", dispatch: 1, runId: "run_x", stepId: "step", attempt: 1, spec: { command, env: {}, ...extra } };
}

async function exec(command: string, extra: Partial<TaskMessage["spec"]> = {}, signal = new AbortController().signal) {
  const lines: LogLine[] = [];
  const result = await executeTask(task(command, extra), {
    workdir: path.join(dir, "ws"),
    scratchDir: path.join(dir, "scratch"),
    onLines: (l) => lines.push(...l),
    signal,
  });
  return { result, lines };
}

describe("executeTask", () => {
  it("streams stdout and stderr line by line and reads outputs, heredocs included", async () => {
    const { result, lines } = await exec(
      'echo one; echo two >&2; echo "k=v=w" >> "$SHIPYARD_OUTPUT"; printf "multi<<EOF\\na\\nb\\nEOF\\n" >> "$SHIPYARD_OUTPUT"',
    );
    expect(result).toMatchObject({ status: "succeeded", exitCode: 0, outputs: { k: "v=w", multi: "a\nb" } });
    expect(lines.map((l) => [l.stream, l.line])).toEqual([
      ["stdout", "one"],
      ["stderr", "two"],
    ]);
  });

  it("fails on a non-zero exit and on a failing command in a pipeline (pipefail)", async () => {
    expect((await exec("exit 4")).result).toMatchObject({ status: "failed", exitCode: 4, error: "exited with code 4" });
    expect((await exec("false | cat")).result.status).toBe("failed");
  });

  it("passes only the declared env plus PATH, HOME and SHIPYARD_*", async () => {
    process.env.LEAKY = "secret";
    // Test files share processes (vitest.config.ts): the variable must not reach the next file's children.
    const { lines } = await exec("env | cut -d= -f1 | sort", { env: { MINE: "1" } }).finally(() => delete process.env.LEAKY);
    const names = lines.map((l) => l.line).filter((n) => !["PWD", "SHLVL", "_", "OLDPWD"].includes(n));
    expect(names).toEqual(["HOME", "MINE", "PATH", "SHIPYARD_ATTEMPT", "SHIPYARD_OUTPUT", "SHIPYARD_RUN_ID", "SHIPYARD_STEP_ID", "SHIPYARD_WORKSPACE"]);
  });

  it("kills the whole process tree on cancel", async () => {
    const pidFile = path.join(dir, "bg.pid");
    const controller = new AbortController();
    const running = exec(`sleep 300 & echo $! > ${pidFile}; wait`, {}, controller.signal);
    let pid = 0;
    while (!pid) {
      pid = Number((await fs.readFile(pidFile, "utf8").catch(() => "")).trim());
      await new Promise((r) => setTimeout(r, 20));
    }
    controller.abort();
    const { result } = await running;
    expect(result.status).toBe("cancelled");
    expect(await goneWithin(pid, 1000)).toBe(true);
  });

  it("times out and reports it", async () => {
    const { result } = await exec("sleep 30", { timeoutMs: 200 });
    expect(result).toMatchObject({ status: "timed_out", error: "timed out after 200 ms" });
  });

  it("ends background processes a step leaves behind", async () => {
    const pidFile = path.join(dir, "left.pid");
    const { result } = await exec(`(sleep 300 >/dev/null 2>&1 &  echo $! > ${pidFile})`);
    expect(result.status).toBe("succeeded");
    expect(await goneWithin(Number((await fs.readFile(pidFile, "utf8")).trim()), 1000)).toBe(true);
  });

  it("reports a malformed output file as a failure that names the line", async () => {
    const { result } = await exec('echo "no equals sign" >> "$SHIPYARD_OUTPUT"');
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/SHIPYARD_OUTPUT.*line 1/);
  });
});
