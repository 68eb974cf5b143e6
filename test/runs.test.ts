import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goneWithin, isRunning, pidsWith, uniqueSleep } from "./helpers/liveness.ts";
import { runToEnd, startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";
import { oneTo, readSse, seqs } from "./helpers/sse.ts";

let s: TestShipyard;

beforeAll(async () => {
  s = await startTestShipyard();
});
afterAll(async () => {
  await s?.stop();
});

const EXAMPLE = await fs.readFile(new URL("../examples/hello.yaml", import.meta.url), "utf8");

// What advance decides (skips, failed needs, retries given up, teardown after a failure, lost runners, cancel)
// is tested directly in src/runs/advance.test.ts; these run real steps on a real runner.
describe("runs end to end", () => {
  it("runs the example: outputs flow through env, teardown runs, run outputs are set", async () => {
    const run = await runToEnd(s, EXAMPLE, { who: "ship" });
    expect(run.status).toBe("succeeded");
    expect(run.outputs).toEqual({ greeting: "hello ship" });
    const byId = Object.fromEntries(run.steps.map((st: { id: string }) => [st.id, st]));
    expect(byId.greet).toMatchObject({ status: "succeeded", phase: "main", outputs: { greeting: "hello ship" }, exitCode: 0 });
    expect(byId.shout.status).toBe("succeeded");
    expect(byId.bye).toMatchObject({ status: "succeeded", phase: "teardown" });
    const { body } = await s.api("GET", `/operations/${run.id}/events`);
    const logs = body.events.filter((e: { type: string }) => e.type === "log").map((e: { payload: { line: string } }) => e.payload.line);
    expect(logs).toEqual(["hello ship", "HELLO SHIP", "bye"]);
    expect(body.events.map((e: { seq: number }) => e.seq)).toEqual(body.events.map((_: unknown, i: number) => i + 1));
    expect(body.events.at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded", outputs: { greeting: "hello ship" } } });
  });

  it("runs independent steps in parallel and respects needs", async () => {
    const wf = `
name: diamond
steps:
  - id: a
    run: echo a
  - id: left
    needs: a
    run: sleep 1
  - id: right
    needs: a
    run: sleep 1
  - id: join
    needs: [left, right]
    run: echo join
`;
    const run = await runToEnd(s, wf);
    expect(run.status).toBe("succeeded");
    const st = Object.fromEntries(run.steps.map((x: { id: string; startedAt: string; finishedAt: string }) => [x.id, { start: Date.parse(x.startedAt), end: Date.parse(x.finishedAt) }]));
    // Both branches were running at the same time (intervals overlap) ...
    expect(st.left.start).toBeLessThan(st.right.end);
    expect(st.right.start).toBeLessThan(st.left.end);
    // ... and every step started only after what it needs had finished.
    expect(st.left.start).toBeGreaterThanOrEqual(st.a.end);
    expect(st.join.start).toBeGreaterThanOrEqual(Math.max(st.left.end, st.right.end));
  });

  it("retries a failing step with backoff until it succeeds", async () => {
    // The attempts share the run's workspace (the only place a sandboxed step can write that outlives it).
    const wf = `
name: flaky
steps:
  - id: flaky
    retry: { max: 2, backoff: 100ms }
    run: |
      echo x >> retry-count
      test "$(wc -l < retry-count)" -ge 3
`;
    const run = await runToEnd(s, wf);
    expect(run.status).toBe("succeeded");
    expect(run.steps[0]).toMatchObject({ status: "succeeded", attempt: 3 });
    const counter = path.join(s.dataDir, "runner", "workspaces", run.id, "retry-count");
    expect((await fs.readFile(counter, "utf8")).trim().split("\n")).toHaveLength(3);
  });

  it("times a step out", async () => {
    const run = await runToEnd(s, "name: slow\nsteps:\n  - id: slow\n    timeout: 500ms\n    run: sleep 30\n");
    expect(run.status).toBe("failed");
    expect(run.steps[0].error).toMatch(/timed out after 500 ms/);
  });

  it("runs steps with a clean environment in the run's own workspace", async () => {
    process.env.SHIPYARD_TEST_SECRET = "must-not-leak";
    const wf = `
name: env
steps:
  - id: show
    env: { DECLARED: "yes" }
    run: |
      echo "names=$(env | cut -d= -f1 | sort | tr '\\n' ' ')" >> "$SHIPYARD_OUTPUT"
      echo "pwd=$PWD" >> "$SHIPYARD_OUTPUT"
      touch marker
`;
    const run = await runToEnd(s, wf);
    expect(run.status).toBe("succeeded");
    const names = run.steps[0].outputs.names.trim().split(" ");
    expect(names).toContain("DECLARED");
    expect(names).toContain("PATH");
    expect(names).toContain("HOME");
    expect(names).not.toContain("SHIPYARD_TEST_SECRET");
    expect(names).not.toContain("DATABASE_URL");
    expect(names).not.toContain("SHIPYARD_TOKEN");
    expect(names.filter((n: string) => !["DECLARED", "PATH", "HOME", "PWD", "SHLVL", "_", "OLDPWD"].includes(n) && !n.startsWith("SHIPYARD_"))).toEqual([]);
    expect(run.steps[0].outputs.pwd).toContain(run.id);
    expect(existsSync(path.join(run.steps[0].outputs.pwd, "marker"))).toBe(true);
  });

  it("cancels a running run: kills the whole process tree, runs teardown, ends cancelled", async () => {
    const marker = uniqueSleep();
    const wf = `
name: long
steps:
  - id: long
    run: |
      sleep ${marker} &
      echo started
      wait
  - id: next
    needs: long
    run: echo never
teardown:
  - id: cleanup
    run: echo torn down
`;
    const created = await s.api("POST", "/runs", { workflow: wf });
    const id = created.body.id as string;
    const [pid] = await waitFor(async () => (await pidsWith(`sleep\0${marker}`)).length === 1 && pidsWith(`sleep\0${marker}`), 20_000, "the step to start");
    expect(await isRunning(pid!)).toBe(true);
    const cancel = await s.api("POST", `/runs/${id}/cancel`);
    expect(cancel.status).toBe(202);
    // Killed within 5 s of the cancel request.
    expect(await goneWithin(pid!, 5_000)).toBe(true);
    const run = await waitFor(async () => {
      const r = await s.api("GET", `/runs/${id}`);
      return r.body.status === "cancelled" ? r.body : null;
    });
    const byId = Object.fromEntries(run.steps.map((x: { id: string }) => [x.id, x]));
    expect(byId.long.status).toBe("cancelled");
    expect(byId.next.status).toBe("cancelled");
    expect(byId.cleanup.status).toBe("succeeded");
    const again = await s.api("POST", `/runs/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("run_finished");
  });

  it("runs one run at a time per concurrency key", async () => {
    const wf = `
name: serial
inputs:
  key: { type: string, default: k }
concurrency: serial-\${{ inputs.key }}
steps:
  - id: work
    run: sleep 0.5
`;
    const a = await s.api("POST", "/runs", { workflow: wf });
    const b = await s.api("POST", "/runs", { workflow: wf });
    expect(a.body.concurrencyKey).toBe("serial-k");
    const done = async (id: string) =>
      waitFor(async () => {
        const r = await s.api("GET", `/runs/${id}`);
        return r.body.status === "succeeded" ? r.body : null;
      });
    const [ra, rb] = [await done(a.body.id), await done(b.body.id)];
    const [first, second] = Date.parse(ra.startedAt) < Date.parse(rb.startedAt) ? [ra, rb] : [rb, ra];
    expect(Date.parse(second.startedAt)).toBeGreaterThanOrEqual(Date.parse(first.finishedAt));
  });

  it("runs the offline llm example from its recorded cassette", async () => {
    const source = await fs.readFile(new URL("../examples/classify.yaml", import.meta.url), "utf8");
    const run = await runToEnd(s, source);
    expect(run.status).toBe("succeeded");
    expect(run.outputs).toEqual({ kind: "feature" });
    expect(run.steps.find((st: { id: string }) => st.id === "classify").outputs).toEqual({ kind: "feature", confidence: "0.92" });
  });

  it("runs the offline agent example: the built-in agent fixes the script from its recorded cassette", async () => {
    const source = await fs.readFile(new URL("../examples/fix-agent.yaml", import.meta.url), "utf8");
    const run = await runToEnd(s, source, {}, 60_000);
    expect(run.status).toBe("succeeded");
    expect(run.outputs.summary).toContain("Fixed add() in math.sh");
    expect(run.steps.map((st: { id: string; status: string }) => [st.id, st.status])).toEqual([
      ["setup", "succeeded"],
      ["fix", "succeeded"],
      ["verify", "succeeded"],
    ]);
    const { body } = await s.api("GET", `/operations/${run.id}/events`);
    const calls = body.events.filter((e: { type: string }) => e.type === "tool_call").map((e: { payload: { tool: string } }) => e.payload.tool);
    expect(calls).toEqual(["run_command", "read_file", "edit_file", "run_command"]);
  }, 90_000);

  it("re-runs a run with the same inputs", async () => {
    const first = await runToEnd(s, EXAMPLE, { who: "again" });
    const re = await s.api("POST", `/runs/${first.id}/rerun`);
    expect(re.status).toBe(201);
    expect(re.body).toMatchObject({ rerunOf: first.id, inputs: { who: "again" } });
    const second = await waitFor(async () => {
      const r = await s.api("GET", `/runs/${re.body.id}`);
      return r.body.status === "succeeded" ? r.body : null;
    });
    expect(second.outputs).toEqual({ greeting: "hello again" });
  });
});

describe("a run's live event stream", () => {
  it("streams a run from the start over SSE: id = seq 1..N gap-free, ends after `complete`, the same as the stored log", async () => {
    const created = await s.api("POST", "/runs", { workflow: "name: live\nsteps:\n  - id: a\n    run: |\n      echo one\n      sleep 1\n      echo two\n  - id: b\n    needs: a\n    run: echo three\n" });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const r = await readSse(`${s.url}/api/v1/operations/${id}/events`, { token: s.adminToken });
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^text\/event-stream/);
    expect(r.ended).toBe(true);
    const events = r.events.map((f) => JSON.parse(f.data) as { seq: number; type: string; payload: Record<string, unknown> });
    expect(seqs(r)).toEqual(oneTo(events.length));
    expect(events.at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded" } });
    expect(events.filter((e) => e.type === "log").map((e) => e.payload.line)).toEqual(["one", "two", "three"]);
    const stored = (await s.api("GET", `/operations/${id}/events?limit=5000`)).body.events;
    expect(events.map((e) => [e.seq, e.type])).toEqual(stored.map((e: { seq: number; type: string }) => [e.seq, e.type]));
  });
});
