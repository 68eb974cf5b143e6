// Warm sandboxes (src/runner/sandbox/warm.ts) through executeTask, with the real bwrap the runner uses: a step
// that starts in one sees exactly what a step in a cold sandbox sees, and nothing is left running.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goneWithin } from "../../../test/helpers/liveness.ts";
import { grantTraverse } from "../../host/traverse.ts";
import { executeTask, type StepSandbox } from "../execute.ts";
import type { LogLine, TaskMessage } from "../protocol.ts";
import { detectSandbox } from "./policy.ts";
import { WarmSandboxes } from "./warm.ts";

let dir: string;
let sandbox: StepSandbox;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "shipyard-warm-"));
  const policy = detectSandbox();
  if (policy.switchesUser) await grantTraverse(dir);
  sandbox = { policy, readOnly: [], workDir: dir };
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Until `warm` holds a ready sandbox (it is started just after the step that asked for it). */
async function ready(warm: WarmSandboxes): Promise<void> {
  for (let i = 0; warm.pids().length === 0; i++) {
    if (i > 200) throw new Error("no warm sandbox was started");
    await new Promise((r) => setTimeout(r, 10));
  }
}

let n = 0;
/** Run `command` as a step of run `runId` (its workspace is the run's), through `warm`. */
async function step(warm: WarmSandboxes, runId: string, command: string, spec: Partial<TaskMessage["spec"]> = {}) {
  const lines: LogLine[] = [];
  n += 1;
  const task: TaskMessage = { taskId: `${runId}:s${n}:1`, dispatch: 1, runId, stepId: `s${n}`, attempt: 1, spec: { command, env: { MINE: "1" }, ...spec } };
  const result = await executeTask(task, {
    workdir: path.join(dir, "workspaces", runId),
    scratchDir: path.join(dir, "tmp"),
    onLines: (l) => lines.push(...l),
    signal: new AbortController().signal,
    sandbox,
    warm,
  });
  return { result, out: lines.filter((l) => l.stream === "stdout").map((l) => l.line) };
}

// What a step looks at: its environment's names, its directory, its user, its network interfaces, its output file.
const PROBE = 'env | cut -d= -f1 | grep -vE "^(PWD|SHLVL|_|OLDPWD)$" | sort; pwd; id -u; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; echo "seen=yes" >> "$SHIPYARD_OUTPUT"';

describe("warm sandboxes", () => {
  it("start the next step of a run in a sandbox made ready during the previous one, which sees what a cold one sees", async () => {
    const warm = new WarmSandboxes(4);
    try {
      await fs.mkdir(path.join(dir, "workspaces", "run_warm", "sub"), { recursive: true });
      const first = await step(warm, "run_warm", "true", { prewarm: true });
      expect(first.result.status).toBe("succeeded");
      await ready(warm);
      expect(warm.taken).toBe(0);
      const hot = await step(warm, "run_warm", PROBE, { workingDirectory: "sub" });
      expect(warm.taken).toBe(1);
      // The same probe in a cold sandbox of another run (no warm one is ready for its workspace).
      await fs.mkdir(path.join(dir, "workspaces", "run_cold", "sub"), { recursive: true });
      const cold = await step(warm, "run_cold", PROBE, { workingDirectory: "sub" });
      expect(warm.taken).toBe(1);
      expect(hot.result).toMatchObject({ status: "succeeded", exitCode: 0, outputs: { seen: "yes" } });
      expect(cold.result).toMatchObject({ status: "succeeded", exitCode: 0, outputs: { seen: "yes" } });
      const norm = (lines: string[]) => lines.map((l) => l.replace(/run_(warm|cold)/, "run_X"));
      expect(norm(hot.out)).toEqual(norm(cold.out));
      expect(hot.out).toContain(path.join(dir, "workspaces", "run_warm", "sub"));
      expect(hot.out).toContain("MINE");
      expect(hot.out).not.toContain("eth0");
      expect(hot.out).toContain("lo");
      if (sandbox.policy.switchesUser) expect(hot.out).toContain(String(sandbox.policy.uid));
    } finally {
      warm.dispose();
    }
  });

  it("are not used across workspaces, nor by a step that asks for the network when the sandbox has none", async () => {
    const warm = new WarmSandboxes(4);
    try {
      await step(warm, "run_a", "true", { prewarm: true });
      await ready(warm);
      await step(warm, "run_b", "true");
      expect(warm.taken).toBe(0);
      await step(warm, "run_a", "true", { network: true });
      expect(warm.taken).toBe(0);
      await step(warm, "run_a", "true");
      expect(warm.taken).toBe(1);
    } finally {
      warm.dispose();
    }
  });

  it("end when not taken in time, and at dispose", async () => {
    const idle = new WarmSandboxes(4, 100);
    await step(idle, "run_idle", "true", { prewarm: true });
    await ready(idle);
    const [pid] = idle.pids();
    expect(pid).toBeGreaterThan(0);
    expect(await goneWithin(pid!, 3000)).toBe(true);
    expect(idle.take(WarmSandboxes.key(path.join(dir, "workspaces", "run_idle"), false))).toBeNull();

    const disposed = new WarmSandboxes(4);
    await step(disposed, "run_disposed", "true", { prewarm: true });
    await ready(disposed);
    const [pid2] = disposed.pids();
    expect(pid2).toBeGreaterThan(0);
    disposed.dispose();
    expect(await goneWithin(pid2!, 3000)).toBe(true);
  });

  it("a failing step in a warm sandbox fails as it would in a cold one", async () => {
    const warm = new WarmSandboxes(4);
    try {
      await step(warm, "run_fail", "true", { prewarm: true });
      await ready(warm);
      const { result } = await step(warm, "run_fail", "echo bad >&2; exit 3");
      expect(warm.taken).toBe(1);
      expect(result).toMatchObject({ status: "failed", exitCode: 3 });
    } finally {
      warm.dispose();
    }
  });
});
