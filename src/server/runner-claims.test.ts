// Claims for one runner (./runner-claims.ts) on a fresh database: while tasks wait, a result claims the next one
// before the result itself has been applied, counting its task's slot free; claims asked for at once coalesce.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreDatabase, onlineRunner, pendingRun, workspace } from "../../test/helpers/core.ts";
import { inTransaction, type Pool } from "../db/pool.ts";
import { createLogger } from "../logger.ts";
import { enqueueTask } from "../tasks/dispatch.ts";
import type { AssignedTask } from "../tasks/spec.ts";
import { RunnerClaims } from "./runner-claims.ts";

let pool: Pool;
beforeAll(async () => {
  pool = await coreDatabase("runner-claims");
});
afterAll(async () => {
  await pool?.end();
});

const spec = { command: "true", env: {} };

/** A one-slot runner holding one task, with `waiting` more queued for it; the claims, and what they sent. */
async function busyRunner(waiting: number) {
  const ws = await workspace(pool);
  const steps = Array.from({ length: waiting + 1 }, (_, i) => `  - id: s${i + 1}\n    run: "true"\n`).join("");
  const runId = await pendingRun(pool, ws, `name: c\nsteps:\n${steps}`);
  const runner = await onlineRunner(pool, ws, 1);
  const ids: string[] = [];
  for (let i = 1; i <= waiting + 1; i++) ids.push(await inTransaction(pool, (c) => enqueueTask(c, { runId, stepId: `s${i}`, attempt: 1, workspaceId: ws, spec })));
  const sent: string[] = [];
  let statements = 0;
  const counted = { query: (...args: Parameters<Pool["query"]>) => (statements++, pool.query(...args)) } as unknown as Pool;
  const claims = new RunnerClaims({
    pool: counted,
    log: createLogger("silent"),
    connected: () => true,
    send: async (_, tasks: AssignedTask[]) => void sent.push(...tasks.map((t) => t.message.stepId)),
  });
  return { runner, ids, sent, claims, statements: () => statements };
}

/** Settle a task as an advance would. */
const settle = (id: string) => pool.query("update tasks set status = 'done', finished_at = now() where id = $1", [id]);

describe("RunnerClaims", () => {
  it("while tasks wait, claims the next one for a result still being applied; when none waits, only after it", async () => {
    const { ids, sent, claims, runner } = await busyRunner(2);
    // The first result: nothing is known of waiting tasks yet, so the claim follows its application.
    let applied = false;
    await claims.onResult(runner, ids[0]!, async () => {
      await new Promise((r) => setTimeout(r, 50));
      expect(sent).toEqual([]);
      await settle(ids[0]!);
      applied = true;
      return true; // tasks wait
    });
    expect(applied).toBe(true);
    await claims.claim(runner); // the claim it started has ended
    expect(sent).toEqual(["s2"]);
    // The second result: tasks waited, so s3 is claimed (and sent) while the result is still being applied.
    await claims.onResult(runner, ids[1]!, async () => {
      for (const deadline = Date.now() + 5000; !sent.includes("s3"); ) {
        if (Date.now() > deadline) throw new Error("s3 was not claimed during the result's application");
        await new Promise((r) => setTimeout(r, 10));
      }
      await settle(ids[1]!);
      return false;
    });
    expect(sent).toEqual(["s2", "s3"]);
  });

  it("makes one claim after the one under way, not one per request", async () => {
    const { claims, runner, statements } = await busyRunner(0);
    await Promise.all(Array.from({ length: 10 }, () => claims.claim(runner)));
    expect(statements()).toBeLessThanOrEqual(2);
  });
});
