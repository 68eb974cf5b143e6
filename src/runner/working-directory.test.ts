import { existsSync, promises as fs, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { stepTaskSpec } from "../runs/step-task.ts";
import { parseWorkflow } from "../workflows/index.ts";
import { executeTask } from "./execute.ts";
import { TaskMessage } from "./protocol.ts";
import { resolveWorkingDirectory, WorkingDirectoryError } from "./working-directory.ts";

let base: string;
let ws: string;
let outside: string;
beforeEach(async () => {
  base = realpathSync(await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-wd-")));
  ws = path.join(base, "ws");
  outside = path.join(base, "outside");
  await fs.mkdir(ws);
  await fs.mkdir(outside);
});

/** Run `command` as a step of the run whose workspace is `ws`, in `workingDirectory`. */
async function run(command: string, workingDirectory?: string) {
  const task = TaskMessage.parse({ taskId: "run_w:a:1", dispatch: 1, runId: "run_w", stepId: "a", attempt: 1, spec: { command, env: {}, workingDirectory } });
  const lines: string[] = [];
  const result = await executeTask(task, { workdir: ws, scratchDir: path.join(base, "scratch"), onLines: (l) => lines.push(...l.map((x) => x.line)), signal: new AbortController().signal });
  return { result, lines };
}

describe("a step's working-directory", () => {
  it("goes from the workflow into the task spec the runner receives", () => {
    const parsed = parseWorkflow("name: x\nsteps:\n  - id: a\n    working-directory: sub\n    run: pwd\n");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const spec = stepTaskSpec(parsed.workflow.steps[0]!, { inputs: {}, steps: {} });
    expect(spec).toMatchObject({ command: "pwd", workingDirectory: "sub" });
    expect(TaskMessage.parse({ taskId: "t", dispatch: 1, runId: "r", stepId: "a", attempt: 1, spec }).spec.workingDirectory).toBe("sub");
  });

  it("runs the step there, creating it when missing (it used to be ignored)", async () => {
    const { result, lines } = await run("pwd; touch made-here", "sub/dir");
    expect(result).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(lines).toEqual([path.join(ws, "sub", "dir")]);
    expect(existsSync(path.join(ws, "sub", "dir", "made-here"))).toBe(true);
    expect((await run("pwd")).lines).toEqual([ws]);
  });

  it("follows a symlink that stays inside the workspace", async () => {
    await fs.mkdir(path.join(ws, "real"));
    await fs.symlink("real", path.join(ws, "alias"));
    expect((await run("pwd", "alias")).lines).toEqual([path.join(ws, "real")]);
  });

  it("refuses a symlink that leads outside, and the command never runs", async () => {
    await fs.symlink(outside, path.join(ws, "escape"));
    const { result, lines } = await run("touch pwned; pwd", "escape");
    expect(result).toMatchObject({ status: "failed", exitCode: null });
    expect(result.error).toBe('working-directory "escape" leads outside the run\'s workspace through a symbolic link ("escape")');
    expect(lines).toEqual([]);
    expect(await fs.readdir(outside)).toEqual([]);
  });
});

describe("resolveWorkingDirectory", () => {
  it("refuses escapes lexically, through symlinked directories, dangling links and chains", async () => {
    const refused = (dir: string) => {
      expect(() => resolveWorkingDirectory(ws, dir), dir).toThrow(WorkingDirectoryError);
    };
    refused("/etc");
    refused("../outside");
    refused("a/../../outside");
    await fs.symlink(outside, path.join(ws, "out"));
    refused("out/new/dir");
    await fs.symlink(path.join(outside, "missing"), path.join(ws, "dangling"));
    refused("dangling");
    refused("dangling/below");
    await fs.symlink("hop2", path.join(ws, "hop1"));
    await fs.symlink("../outside", path.join(ws, "hop2"));
    refused("hop1");
    await fs.writeFile(path.join(ws, "file"), "x");
    expect(() => resolveWorkingDirectory(ws, "file")).toThrow(/is not a directory/);
    expect(() => resolveWorkingDirectory(ws, "file/sub")).toThrow(/cannot be created: ENOTDIR/);
    // None of it made anything outside.
    expect((await fs.readdir(outside)).sort()).toEqual([]);
  });

  it("accepts the workspace itself and paths inside it", async () => {
    expect(resolveWorkingDirectory(ws, undefined)).toBe(ws);
    expect(resolveWorkingDirectory(ws, ".")).toBe(ws);
    expect(resolveWorkingDirectory(ws, "a/./b/")).toBe(path.join(ws, "a", "b"));
  });
});
