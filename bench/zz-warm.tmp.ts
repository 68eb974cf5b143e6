import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { grantTraverse } from "../src/host/traverse.ts";
import { executeTask } from "../src/runner/execute.ts";
import { detectSandbox } from "../src/runner/sandbox/policy.ts";
import { WarmSandboxes } from "../src/runner/sandbox/warm.ts";
const dir = await fs.mkdtemp(path.join(os.tmpdir(), "zzwarm-"));
const policy = detectSandbox();
if (policy.switchesUser) await grantTraverse(dir);
const sandbox = { policy, readOnly: [], workDir: dir };
for (const mode of ["cold", "warm", "cold", "warm"]) {
  const warm = new WarmSandboxes(4);
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const r = await executeTask({ taskId: `run_${mode}:s${i}:1`, dispatch: 1, runId: `run_${mode}`, stepId: `s${i}`, attempt: 1, spec: { command: "true", env: {}, prewarm: mode === "warm" } },
      { workdir: path.join(dir, "ws", mode), scratchDir: path.join(dir, "tmp"), onLines: () => {}, signal: new AbortController().signal, sandbox, warm });
    times.push(performance.now() - t0);
    if (r.status !== "succeeded") console.log(r);
    await new Promise((res) => setTimeout(res, 5));
  }
  times.sort((a, b) => a - b);
  console.log(mode, "median ms", times[10].toFixed(2), "taken", warm.taken);
  warm.dispose();
}
await fs.rm(dir, { recursive: true, force: true });
