import http from "node:http";
import type { AddressInfo } from "node:net";
import { DBOS } from "@dbos-inc/dbos-sdk";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { createPool, inTransaction, type Pool } from "../src/db/pool.ts";
import { shellQuote } from "../src/git/shell.ts";
import { finishJob } from "../src/jobs/claim.ts";
import type { JobRecord } from "../src/jobs/queue.ts";
import { StderrTail } from "../src/runner/stderr-tail.ts";
import { ADD_MUL_PATCH, makeFixtureRemote } from "./helpers/git-fixture.ts";
import { goneWithin, pidsWith } from "./helpers/liveness.ts";
import { connectPeer, spawnRunner, type RunnerProcess } from "./helpers/runners.ts";
import { startTestShipyard, waitFor, type TestShipyard } from "./helpers/shipyard.ts";
import { readSse } from "./helpers/sse.ts";

// Seed 001's remaining properties (1, 2, 7–11, 16–27) against a real Shipyard: the server and DBOS in this
// process, runners as real child processes (or, for ping-by-ping control, a peer speaking the runner protocol),
// real git remotes, real HTTP. The queue properties (3–6, 28–30) are in src/jobs/queue.property.test.ts.
// Seed → Shipyard: agent = runner (WebSocket), activity = task, Temporal workflow = DBOS workflow.

const PING_MS = 200;
const STUCK_AFTER_MS = 10 * 60_000;
const TERMINAL = ["succeeded", "failed", "cancelled"];
// The stage order of src/jobs/schemas.ts (STAGES), written out: importing that module here, before the server
// has loaded @hono/zod-openapi, leaves its schemas without `.openapi()` and the job routes fail to load.
const STAGES = ["credentials", "prepare", "agent", "verify", "push", "pull_request", "cleanup"];

let s: TestShipyard;
let pool: Pool;
let main: RunnerProcess;
let mainId: string;
let defaultWs: string;
let fixture: Awaited<ReturnType<typeof makeFixtureRemote>>;
let projectId: string;
/** Another workspace: runners connected with its token serve none of the default workspace's jobs. */
let elsewhere: { id: string; token: string };
const spawned: RunnerProcess[] = [];

beforeAll(async () => {
  s = await startTestShipyard({ localRunner: false, pingIntervalMs: PING_MS, env: { SHIPYARD_STUCK_AFTER_MS: String(STUCK_AFTER_MS) } });
  pool = createPool(s.databaseUrl, 5);
  main = await spawnRunner(s.url, s.adminToken, "main");
  spawned.push(main);
  mainId = (await runnerOnline("main")).id;
  defaultWs = (await pool.query<{ id: string }>("select id from workspaces where name = 'default'")).rows[0]!.id;
  fixture = await makeFixtureRemote();
  const project = await s.api("POST", "/projects", { name: "props", repo: fixture.remote, defaultBranch: "main", verify: ["bash test.sh"] });
  expect(project.status).toBe(201);
  projectId = project.body.id;
  const ws = await s.api("POST", "/workspaces", { name: "elsewhere" });
  expect(ws.status).toBe(201);
  elsewhere = ws.body;
});

afterEach(async () => {
  main?.thaw();
  for (const release of releases.splice(0)) await release();
  await settleJobs();
  await resume("rework", "backlog");
});

afterAll(async () => {
  for (const r of spawned) await r.stop();
  await pool?.end();
  await s?.stop();
});

// ---------------------------------------------------------------------------------------------------------
// Helpers

interface RunnerRow {
  id: string;
  name: string;
  status: string;
  missed_pings: number;
  connected_at: Date;
  last_seen_at: Date;
}

const runnerRow = async (name: string, workspaceId: string | null = null): Promise<RunnerRow | undefined> =>
  (
    await pool.query<RunnerRow>("select id, name, status, missed_pings, connected_at, last_seen_at from runners where name = $1 and workspace_id is not distinct from $2", [
      name,
      workspaceId,
    ])
  ).rows[0];

const runnerOnline = (name: string, workspaceId: string | null = null) =>
  waitFor(async () => {
    const r = await runnerRow(name, workspaceId);
    return r?.status === "online" ? r : null;
  }, 30_000, `runner ${name} online`);

const runnerOffline = (name: string, workspaceId: string | null = null, timeoutMs = 10_000) =>
  waitFor(async () => {
    const r = await runnerRow(name, workspaceId);
    return r?.status === "offline" ? r : null;
  }, timeoutMs, `runner ${name} offline`);

/** Stop the `main` runner process and start a new one under the same name (the same runner row). */
async function restartMain(): Promise<void> {
  await main.stop();
  main = await spawnRunner(s.url, s.adminToken, "main");
  spawned.push(main);
  expect((await runnerOnline("main")).id).toBe(mainId);
}

const commandJob = (command: string, prompt = "a change", queue = "backlog") => ({ projectId, prompt, queue, executor: { type: "command", command } });

async function addJob(body: Record<string, unknown>): Promise<any> {
  const res = await s.api("POST", "/jobs", body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const getJob = async (id: string) => (await s.api("GET", `/jobs/${id}`)).body;
const getOp = async (id: string) => (await s.api("GET", `/operations/${id}`)).body;
const events = async (id: string) => (await s.api("GET", `/operations/${id}/events?limit=5000`)).body.events as any[];
const agentLines = (ev: any[], attempt = 1) => ev.filter((e) => e.type === "log" && e.payload.stepId === "agent" && e.payload.attempt === attempt).map((e) => e.payload.line);

const jobToEnd = (id: string, timeoutMs = 60_000): Promise<any> =>
  waitFor(async () => {
    const j = await getJob(id);
    return TERMINAL.includes(j.status) ? j : null;
  }, timeoutMs, `job ${id} to finish`);

async function cancelJob(id: string): Promise<void> {
  const res = await s.api("POST", `/jobs/${id}/cancel`);
  if (res.status === 202) await jobToEnd(id);
}

const pause = async (...queues: string[]) => {
  for (const q of queues) expect((await s.api("POST", `/queues/${q}/pause`)).status).toBe(200);
};
const resume = async (...queues: string[]) => {
  for (const q of queues) expect((await s.api("POST", `/queues/${q}/resume`)).status).toBe(200);
};

/** Run the job sweep (the DBOS schedule `shipyard-job-sweep`) now, to its end. */
async function sweep(): Promise<void> {
  const handle = await DBOS.triggerSchedule("shipyard-job-sweep");
  // getResult() alone polls once a second; watching the status is quicker.
  await waitFor(async () => !["ENQUEUED", "PENDING"].includes((await DBOS.getWorkflowStatus(handle.workflowID))?.status ?? "ENQUEUED"), 30_000, "the job sweep");
  await handle.getResult();
}

/** Bash that writes `lines` (each followed by a newline) byte for byte, NULs included, to stdout or stderr. */
function emit(lines: string[], toStderr = false): string {
  const b64 = Buffer.from(lines.map((l) => `${l}\n`).join(""), "utf8").toString("base64");
  return `printf '%s' ${b64} | base64 -d${toStderr ? " >&2" : ""}`;
}

/** What a stored log line is for a printed one: NUL cannot be stored, it becomes U+FFFD. */
const stored = (line: string) => line.replaceAll("\0", "\uFFFD");

/** A line of output: any code points but line breaks. */
const lineArb = fc.string({ unit: "binary", maxLength: 20 }).map((l) => l.replace(/[\r\n]/g, "_"));
const queueArb = fc.constantFrom("rework", "backlog");

let gates = 0;
const releases: (() => Promise<void>)[] = [];
/** Gates the agents wait at: a sandboxed agent sees no file of the test's, but its stage has network. */
const opened = new Set<number>();
const gateServer = http.createServer((req, res) => {
  res.writeHead(opened.has(Number(req.url?.split("/").pop())) ? 200 : 404).end();
});
await new Promise<void>((resolve) => gateServer.listen(0, "127.0.0.1", resolve));
const gatePort = (gateServer.address() as AddressInfo).port;
afterAll(() => new Promise<void>((resolve) => gateServer.close(() => resolve())));

/**
 * An agent that prints `first` (default `blocked`), then waits until the test releases it, and then makes a
 * change (or fails with `exitCode`). Its command line carries a marker the test finds its processes by.
 */
function gatedAgent(opts: { first?: string; exitCode?: number } = {}) {
  const n = ++gates;
  const marker = `gate-${n}-${process.pid}-marker`;
  const tail = opts.exitCode ? `exit ${opts.exitCode}` : "echo change > stamp.txt";
  const release = async () => {
    opened.add(n);
  };
  releases.push(release);
  return {
    command: `: ${marker}; ${opts.first ?? "echo blocked"}; echo gate-waiting; until curl -sf -o /dev/null http://127.0.0.1:${gatePort}/gate/${n}; do sleep 0.05; done; ${tail}`,
    release,
    pids: () => waitFor(async () => { const p = await pidsWith(marker); return p.length > 0 && p; }, 30_000, "the agent's processes"),
  };
}

/** Wait until a job's agent waits at its gate, everything it printed stored; returns its processes' pids. */
async function agentStarted(id: string, gate: ReturnType<typeof gatedAgent>): Promise<number[]> {
  const pids = await gate.pids();
  await waitFor(async () => agentLines(await events(id)).includes("gate-waiting"), 30_000, `job ${id}'s agent at its gate`);
  expect(await getJob(id)).toMatchObject({ status: "running", stage: "agent" });
  return pids;
}

/** True when every one of `pids` is gone within `timeoutMs`. */
async function allGoneWithin(pids: number[], timeoutMs: number): Promise<boolean> {
  return (await Promise.all(pids.map((p) => goneWithin(p, timeoutMs)))).every(Boolean);
}

/** Make a waiting job look like one a runner took and whose workflow is `workflowId` (or none), updated `ageSeconds` ago. */
async function fabricateRunning(id: string, o: { workflowId: string | null; attempts?: number; ageSeconds?: number }): Promise<void> {
  await pool.query(
    `update jobs set status = 'running', runner_id = $2, attempts = $3, position = null, stage = 'agent', workflow_id = $4,
       updated_at = now() - make_interval(secs => $5) where id = $1`,
    [id, mainId, o.attempts ?? 1, o.workflowId, o.ageSeconds ?? 60],
  );
  await pool.query("update operations set status = 'running', started_at = now() where id = $1", [id]);
}

const dbosStatus = async (workflowId: string) =>
  (await pool.query<{ status: string }>("select status from dbos.workflow_status where workflow_uuid = $1", [workflowId])).rows[0]?.status ?? null;

/** The workflow id of some finished job (running one when there is none yet). */
async function finishedWorkflowId(): Promise<string> {
  const done = await pool.query<{ workflow_id: string }>("select workflow_id from jobs where status = 'succeeded' and workflow_id is not null limit 1");
  if (done.rows[0]) return done.rows[0].workflow_id;
  const job = await addJob(commandJob("echo finished > stamp.txt"));
  expect((await jobToEnd(job.id)).status).toBe("succeeded");
  return `${job.id}:1`;
}

const lastStatusEvent = async (id: string) => (await events(id)).filter((e) => e.type === "status").at(-1);

/** GET /jobs/{id} and GET /operations/{id}, bracketed by two job reads; null when the job changed in between. */
async function statusPair(id: string): Promise<{ job: any; op: any } | null> {
  const job = await getJob(id);
  const op = await getOp(id);
  const again = await getJob(id);
  return job.status === again.status && job.error === again.error ? { job, op } : null;
}

/**
 * Finish every job of the default workspace not in `keep`: waiting ones and ones with a live workflow are
 * cancelled through the API, running ones without a live workflow (made up by a test) are settled directly.
 * Run after each property run, so a failing run leaves nothing behind for the next (or for shrinking).
 */
async function settleJobs(keep: string[] = []): Promise<void> {
  const open = await pool.query<{ id: string; status: string; workflow_id: string | null }>(
    "select id, status, workflow_id from jobs where workspace_id = $1 and status in ('queued', 'running') and not (id = any($2)) order by created_at",
    [defaultWs, keep],
  );
  for (const j of open.rows) {
    const live = j.workflow_id !== null && ["PENDING", "ENQUEUED"].includes((await dbosStatus(j.workflow_id)) ?? "");
    if (j.status === "running" && !live) {
      await inTransaction(pool, async (c) => {
        const row = (await c.query<JobRecord>("select * from jobs where id = $1 and status = 'running' for update", [j.id])).rows[0];
        if (row) await finishJob(c, row, "cancelled", "settled by the test");
      });
    } else {
      await cancelJob(j.id);
    }
  }
}

const OPERATION_STATUS: Record<string, string> = { queued: "pending", running: "running", succeeded: "succeeded", failed: "failed", cancelled: "cancelled" };

// ---------------------------------------------------------------------------------------------------------

describe("coding-agent job properties (seed 001)", () => {
  it("Property 1: workflow creation round-trip — POST /jobs then GET /jobs/{id} returns what was sent, queued; text the database cannot hold as sent is refused with 400", async () => {
    await pause("rework", "backlog");
    try {
      const text = fc.oneof(
        fc.string({ unit: "binary", minLength: 1, maxLength: 60 }),
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
        fc
          .tuple(fc.string({ unit: "binary", maxLength: 10 }), fc.constantFrom("\u0000", "\ud800", "\udfff", "\ud83d"), fc.string({ unit: "binary", maxLength: 10 }))
          .map(([a, bad, b]) => a + bad + b),
      );
      const executor = fc.oneof(
        fc.record({ type: fc.constant("command"), command: text }),
        fc.record({ type: fc.constant("patch"), diff: text }),
      );
      const acceptable = (t: string) => !t.includes("\0") && !/\p{Cs}/u.test(t);
      await fc.assert(
        fc.asyncProperty(text, queueArb, executor, async (prompt, queue, exec) => {
          const payload = exec.type === "command" ? (exec as { command: string }).command : (exec as { diff: string }).diff;
          const queues = (await s.api("GET", "/queues")).body;
          const waiting = queues.queues.find((q: any) => q.queue === queue).jobs.length as number;
          const created = await s.api("POST", "/jobs", { projectId, prompt, queue, executor: exec });
          if (!acceptable(prompt) || !acceptable(payload)) {
            expect(created.status, JSON.stringify(created.body)).toBe(400);
            expect(created.headers.get("content-type")).toContain("application/problem+json");
            return;
          }
          expect(created.status, JSON.stringify(created.body)).toBe(201);
          const id = created.body.id as string;
          expect(created.body).toMatchObject({
            projectId,
            prompt,
            queue,
            executor: { type: exec.type },
            status: "queued",
            position: waiting + 1,
            attempts: 0,
            stage: null,
            runnerId: null,
            error: null,
            commit: null,
            prUrl: null,
            branch: `shipyard/job-${id}`,
          });
          expect((await s.api("GET", `/jobs/${id}`)).body).toEqual(created.body);
          const listed = (await s.api("GET", "/jobs?status=queued")).body.jobs.find((j: any) => j.id === id);
          expect(listed).toEqual(created.body);
          const row = (await pool.query("select prompt, executor from jobs where id = $1", [id])).rows[0];
          expect(row.prompt).toBe(prompt);
          expect(row.executor).toEqual(exec);
          const op = await getOp(id);
          expect(op).toMatchObject({ id, kind: "job", status: "pending", error: null, title: prompt.split("\n")[0] });
          await cancelJob(id);
          expect((await getJob(id)).status).toBe("cancelled");
        }),
        { numRuns: 25, examples: [["a\u0000b", "backlog", { type: "command", command: "true" }], ["x\ud800y", "rework", { type: "patch", diff: "d" }]] },
      );
    } finally {
      await resume("rework", "backlog");
    }
  });

  it("Property 2: workflow parameters completeness — the job workflow <job>:<attempt> hands the agent the exact prompt (or patch) and every stage what it needs", async () => {
    const prompts = fc.string({ unit: "binary", minLength: 1, maxLength: 80 }).filter((p) => !p.includes("\0"));
    const check = async (prompt: string, executor: Record<string, string>) => {
      const job = await addJob({ projectId, prompt, executor });
      const done = await jobToEnd(job.id);
      expect(done, done.error).toMatchObject({ status: "succeeded", attempts: 1 });
      const workflowId = `${job.id}:1`;
      const row = (await pool.query("select workflow_id, runner_id from jobs where id = $1", [job.id])).rows[0];
      expect(row.workflow_id).toBe(workflowId);
      // The workflow goes on after the job is settled (it offers the runner its next job): wait for its result.
      expect(await DBOS.retrieveWorkflow(workflowId).getResult()).toBe("succeeded");
      const wf = await DBOS.getWorkflowStatus(workflowId);
      expect(wf).toMatchObject({ status: "SUCCESS", workflowName: "shipyard.job", queueName: "shipyard-jobs", queuePartitionKey: row.runner_id });
      expect(wf!.input).toEqual([job.id, 1, row.runner_id]);
      expect(wf!.output).toBe("succeeded");

      const tasks = (await pool.query("select step_id, attempt, workflow_id, spec from tasks where operation_id = $1 order by created_at", [job.id])).rows;
      expect(tasks.map((t) => t.step_id)).toEqual(["prepare", "agent", "verify", "push", "cleanup"]);
      for (const t of tasks) expect(t).toMatchObject({ attempt: 1, workflow_id: workflowId });
      const spec = (step: string) => tasks.find((t) => t.step_id === step)!.spec;
      expect(spec("agent").env.SHIPYARD_PROMPT).toBe(prompt);
      if (executor.type === "patch") expect(spec("agent").env.SHIPYARD_PATCH).toBe(executor.diff);
      else expect(spec("agent").command).toContain(shellQuote(executor.command!));
      expect(spec("prepare").command).toContain(shellQuote(fixture.remote));
      expect(spec("prepare").command).toContain(shellQuote(done.branch));
      expect(spec("verify").command).toContain(shellQuote("bash test.sh"));
      expect(spec("push").command).toContain(shellQuote(done.branch));
      expect(spec("push").env.SHIPYARD_COMMIT_MESSAGE).toMatch(new RegExp(`\\n\\nShipyard job ${job.id}$`));
      return done;
    };
    await fc.assert(
      fc.asyncProperty(prompts, async (prompt) => {
        // The agent proves what it was given: it commits the prompt file it read.
        const done = await check(prompt, { type: "command", command: 'base64 -w0 "$SHIPYARD_PROMPT_FILE" > prompt.b64' });
        expect(Buffer.from(fixture.git("show", `${done.branch}:prompt.b64`), "base64").toString("utf8")).toBe(prompt);
      }),
      { numRuns: 2, examples: [[" leading space, 'quotes', $HOME `date` \\ and a trailing newline\n"]] },
    );
    const patched = await check("Add mul()", { type: "patch", diff: ADD_MUL_PATCH });
    expect(fixture.git("show", `${patched.branch}:math.sh`)).toContain("mul()");
  });

  it("Property 7: task invocation — every stage of a job is a task pinned to, and run by, the runner that claimed the job", async () => {
    const helper = await spawnRunner(s.url, s.adminToken, "helper");
    spawned.push(helper);
    const helperId = (await runnerOnline("helper")).id;
    const names: Record<string, string> = { [mainId]: "main", [helperId]: "helper" };
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 2, max: 3 }), async (n) => {
          const jobs = [];
          for (let i = 0; i < n; i++) jobs.push(await addJob(commandJob(`echo ${i} > stamp.txt`)));
          for (const job of jobs) {
            const done = await jobToEnd(job.id);
            expect(done.status, done.error).toBe("succeeded");
            const ev = await events(job.id);
            const claimedBy = ev.find((e) => e.type === "status" && e.payload.status === "running").payload.runnerId as string;
            expect([mainId, helperId]).toContain(claimedBy);
            expect(done.runnerId).toBe(claimedBy);
            const tasks = (
              await pool.query("select step_id, pinned_runner_id, runner_id, status, result, dispatch from tasks where operation_id = $1 order by created_at", [job.id])
            ).rows;
            expect(tasks.map((t) => t.step_id)).toEqual(["prepare", "agent", "verify", "push", "cleanup"]);
            for (const t of tasks) {
              expect(t).toMatchObject({ pinned_runner_id: claimedBy, runner_id: claimedBy, status: "done", dispatch: 1 });
              expect(t.result.status).toBe("succeeded");
            }
            const ranOn = ev.filter((e) => e.type === "step" && e.payload.status === "running").map((e) => e.payload.runner);
            expect(ranOn).toEqual(tasks.map(() => names[claimedBy]));
          }
        }),
        { numRuns: 2 },
      );
    } finally {
      await helper.stop();
      await runnerOffline("helper");
    }
  });

  it("Property 8: result propagation — a failing agent's exit code and output tail end up in the job's error; a push's commit in its commit", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 255 }), fc.array(lineArb, { minLength: 1, maxLength: 50 }), async (code, lines) => {
        const job = await addJob(commandJob(`${emit(lines, true)}; exit ${code}`));
        const done = await jobToEnd(job.id);
        // The agent's error quotes what it printed last on stderr (src/runner/stderr-tail.ts), then the log's tail.
        const tail = new StderrTail();
        tail.add(lines.map((l) => ({ stream: "stderr", line: stored(l), time: "" })));
        const error = `the agent failed (${tail.explain(`exited with code ${code}`)}):\n${lines.slice(-40).map(stored).join("\n")}`;
        expect(done).toMatchObject({ status: "failed", commit: null, error });
        expect(await getOp(job.id)).toMatchObject({ status: "failed", error });
        const ev = await events(job.id);
        expect(ev.find((e) => e.type === "stage" && e.payload.stage === "agent" && e.payload.status === "failed").payload.exitCode).toBe(code);
        expect(ev.at(-1)).toMatchObject({ type: "complete", payload: { status: "failed", error, commit: null } });
        expect(() => fixture.git("rev-parse", "--verify", `refs/heads/${done.branch}`)).toThrow();
      }),
      { numRuns: 3, examples: [[7, ["binary \u0000 output", "last"]], [75, ["the exit code of a stage that finds its workspace gone"]]] },
    );

    // Success: the commit the push stage reported is the job's commit and the branch's head in the remote.
    // The agent also writes a NUL into its output file: the result must still get through.
    const job = await addJob(commandJob(`echo change > stamp.txt; printf 'note=a\\0b\\n' >> "$SHIPYARD_OUTPUT"`));
    const done = await jobToEnd(job.id, 20_000);
    expect(done.status, done.error).toBe("succeeded");
    expect(done.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(fixture.git("rev-parse", `refs/heads/${done.branch}`)).toBe(done.commit);
    const push = (await pool.query("select result from tasks where operation_id = $1 and step_id = 'push'", [job.id])).rows[0];
    expect(push.result.outputs).toMatchObject({ commit: done.commit, branch: done.branch });
    expect((await events(job.id)).at(-1)).toMatchObject({ type: "complete", payload: { status: "succeeded", commit: done.commit, branch: done.branch } });
  });

  it("Property 9: log persistence — every line the agent prints is stored as a log event, in order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { maxLength: 30 }), fc.integer({ min: 0, max: 400 }), async (lines, extra) => {
        const job = await addJob(commandJob(`${emit(lines)}; for i in $(seq 1 ${extra}); do echo "line $i"; done; echo change > stamp.txt`));
        const done = await jobToEnd(job.id);
        expect(done.status, done.error).toBe("succeeded");
        const ev = await events(job.id);
        expect(ev.map((e) => e.seq)).toEqual(ev.map((_, i) => i + 1));
        const logs = ev.filter((e) => e.type === "log" && e.payload.stepId === "agent");
        expect(logs.map((e) => e.payload.line)).toEqual([...lines.map(stored), ...Array.from({ length: extra }, (_, i) => `line ${i + 1}`)]);
        for (const e of logs) expect(e.payload).toMatchObject({ attempt: 1, stream: "stdout" });
      }),
      { numRuns: 3, examples: [[["before", "a\u0000b", "after"], 3]] },
    );
  });

  it("Property 10: log broadcast — an SSE subscriber gets the lines while the agent is still running, the same as stored", async () => {
    const url = (id: string) => `${s.url}/api/v1/operations/${id}/events`;
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { minLength: 1, maxLength: 20 }), async (lines) => {
        const gate = gatedAgent({ first: `${emit(lines)}; echo shipyard-mark` });
        const job = await addJob(commandJob(gate.command));
        const live = await readSse(url(job.id), {
          token: s.adminToken,
          guardMs: 30_000,
          stopWhen: (e) => e.event === "log" && JSON.parse(e.data).payload.line === "shipyard-mark",
        });
        // The subscriber has every line before the agent may go on: delivery is live, not a replay at the end.
        expect(await getJob(job.id)).toMatchObject({ status: "running", stage: "agent" });
        const liveEvents = live.events.map((e) => JSON.parse(e.data));
        expect(agentLines(liveEvents)).toEqual([...lines.map(stored), "shipyard-mark"]);
        await gate.release();
        const rest = await readSse(url(job.id), { token: s.adminToken, guardMs: 30_000, lastEventId: live.events.at(-1)!.id });
        expect(rest.ended).toBe(true);
        const all = [...live.events, ...rest.events];
        expect(all.map((e) => Number(e.id))).toEqual(all.map((_, i) => i + 1));
        expect(all.map((e) => JSON.parse(e.data))).toEqual(await events(job.id));
        expect(all.at(-1)!.event).toBe("complete");
      }),
      { numRuns: 3 },
    );
  });

  it("Property 11: stage change events — each stage is started then succeeded in order; a failing stage is started then failed, then cleanup runs; subscribers see the same", async () => {
    const outcomes: { agent: string; failsAt: string | null }[] = [
      { agent: "echo change > stamp.txt", failsAt: null },
      { agent: "exit 3", failsAt: "agent" },
      { agent: "printf 'echo bad; exit 1\\n' > tests/bad.sh", failsAt: "verify" },
      { agent: "true", failsAt: "push" },
    ];
    for (const o of outcomes) {
      const job = await addJob(commandJob(o.agent));
      const sse = await readSse(`${s.url}/api/v1/operations/${job.id}/events`, { token: s.adminToken, guardMs: 60_000 });
      const done = await getJob(job.id);
      expect(done.status).toBe(o.failsAt ? "failed" : "succeeded");
      const expected: [string, string][] = [];
      for (const stage of STAGES) {
        if (stage === "cleanup") break;
        expected.push([stage, "started"]);
        if (stage === o.failsAt) {
          expected.push([stage, "failed"]);
          break;
        }
        expected.push([stage, "succeeded"]);
      }
      expected.push(["cleanup", "started"], ["cleanup", "succeeded"]);
      const stageEvents = (await events(job.id)).filter((e) => e.type === "stage");
      expect(stageEvents.map((e) => [e.payload.stage, e.payload.status])).toEqual(expected);
      for (const e of stageEvents) expect(e.payload.attempt).toBe(1);
      const seen = sse.events.filter((e) => e.event === "stage").map((e) => JSON.parse(e.data));
      expect(seen).toEqual(stageEvents);
    }
  });

  it("Property 16: queue status completeness — GET /queues lists every runner with the job it executes and every waiting job, numbered 1..n per queue", async () => {
    const gate = gatedAgent();
    const blocker = await addJob(commandJob(gate.command));
    await agentStarted(blocker.id, gate);
    await fc.assert(
      fc.asyncProperty(fc.array(queueArb, { maxLength: 6 }), fc.boolean(), fc.boolean(), async (queues, pauseRework, pauseBacklog) => {
        try {
          for (const [q, p] of [["rework", pauseRework], ["backlog", pauseBacklog]] as const) await s.api("POST", `/queues/${q}/${p ? "pause" : "resume"}`);
          const added: { id: string; queue: string }[] = [];
          for (const q of queues) added.push({ id: (await addJob(commandJob("echo x > stamp.txt", `waiting in ${q}`, q))).id, queue: q });
          const view = (await s.api("GET", "/queues")).body;

          // Every runner that may serve the workspace, with what it executes.
          const runners = (await pool.query<{ id: string; status: string }>("select id, status from runners where workspace_id is null or workspace_id = $1", [defaultWs])).rows;
          expect(view.runners.map((r: any) => [r.id, r.status]).sort()).toEqual(runners.map((r) => [r.id, r.status]).sort());
          const running = (await pool.query<{ id: string; runner_id: string }>("select id, runner_id from jobs where workspace_id = $1 and status = 'running'", [defaultWs])).rows;
          for (const r of view.runners) expect(r.executing?.id ?? null).toBe(running.find((j) => j.runner_id === r.id)?.id ?? null);
          expect(view.runners.find((r: any) => r.id === mainId).executing).toMatchObject({ id: blocker.id, status: "running", stage: "agent" });

          // Every waiting job, once, in its queue, in order, numbered 1..n.
          expect(view.queues.map((q: any) => [q.queue, q.paused])).toEqual([
            ["rework", pauseRework],
            ["backlog", pauseBacklog],
          ]);
          const waiting = (await pool.query<{ id: string }>("select id from jobs where workspace_id = $1 and status = 'queued'", [defaultWs])).rows.map((r) => r.id);
          expect(view.queues.flatMap((q: any) => q.jobs.map((j: any) => j.id)).sort()).toEqual([...waiting].sort());
          for (const q of view.queues) {
            expect(q.jobs.map((j: any) => j.position)).toEqual(q.jobs.map((_: unknown, i: number) => i + 1));
            expect(q.jobs.map((j: any) => j.id)).toEqual(added.filter((a) => a.queue === q.queue).map((a) => a.id));
            for (const j of q.jobs) expect(j).toMatchObject({ status: "queued", queue: q.queue });
          }
        } finally {
          await settleJobs([blocker.id]);
        }
      }),
      { numRuns: 8 },
    );
    await resume("rework", "backlog");
    await gate.release();
    expect((await jobToEnd(blocker.id)).status).toBe("succeeded");
  });

  it("Property 17: workflow status query — GET /jobs/{id} and GET /operations/{id} agree on status (and error) through a job's life", async () => {
    for (const outcome of ["succeed", "fail", "cancel-queued", "cancel-running"] as const) {
      const seen: string[] = [];
      let id = "";
      const agree = async () => {
        const pair = await statusPair(id);
        if (!pair) return null;
        expect(pair.op).toMatchObject({ id, kind: "job", status: OPERATION_STATUS[pair.job.status] });
        if (TERMINAL.includes(pair.job.status)) expect(pair.op.error).toBe(pair.job.error);
        if (seen.at(-1) !== pair.job.status) seen.push(pair.job.status);
        return pair.job;
      };
      await pause("backlog");
      const gate = gatedAgent({ exitCode: outcome === "fail" ? 9 : undefined });
      id = (await addJob(commandJob(gate.command))).id as string;
      expect((await agree())?.status).toBe("queued");
      if (outcome === "cancel-queued") {
        expect((await s.api("POST", `/jobs/${id}/cancel`)).status).toBe(202);
        expect((await agree())?.status).toBe("cancelled");
        await resume("backlog");
        expect(seen).toEqual(["queued", "cancelled"]);
        continue;
      }
      await resume("backlog");
      // Sample continuously while the job runs.
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          await agree();
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      try {
        await agentStarted(id, gate);
        expect((await agree())?.status).toBe("running");
        if (outcome === "cancel-running") expect((await s.api("POST", `/jobs/${id}/cancel`)).status).toBe(202);
        else await gate.release();
        await jobToEnd(id);
      } finally {
        sampling = false;
        await sampler;
      }
      const expected = { succeed: "succeeded", fail: "failed", "cancel-running": "cancelled" }[outcome];
      expect((await agree())?.status).toBe(expected);
      expect(seen).toEqual(["queued", "running", expected]);
    }
  });

  it("Property 18: heartbeat timeout configuration — the ping interval is configurable and offline detection follows it", async () => {
    fc.assert(fc.property(fc.integer({ min: 50, max: 600_000 }), (ms) => loadConfig({ SHIPYARD_PING_INTERVAL_MS: String(ms) }).pingIntervalMs === ms));
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -1000, max: 49 }), fc.integer({ min: 600_001, max: 10_000_000 })), (ms) => {
        expect(() => loadConfig({ SHIPYARD_PING_INTERVAL_MS: String(ms) })).toThrow(/SHIPYARD_PING_INTERVAL_MS/);
      }),
    );
    expect(loadConfig({}).pingIntervalMs).toBe(10_000);

    // This server was started with 200 ms: runners are told so, and one that never answers is offline after
    // 3 unanswered pings, long before a single default (10 s) interval has passed.
    const peer = await connectPeer(s.url, elsewhere.token, "silent-18", () => false);
    expect(peer.pingIntervalMs).toBe(PING_MS);
    const row = await runnerOffline("silent-18", elsewhere.id, 5_000);
    expect(row.missed_pings).toBe(3);
    await peer.closed;
    expect(peer.pings).toBe(3);
  });

  describe("orphaned and stuck jobs (the job sweep)", () => {
    it("Property 19: orphan job detection — a running job whose workflow is missing, unset or finished is found; a live or just-claimed one is not", async () => {
      const finished = await finishedWorkflowId();
      const gate = gatedAgent();
      const live = await addJob(commandJob(gate.command));
      await agentStarted(live.id, gate);
      // Quiet for a minute, but its workflow is running: never an orphan.
      await pool.query("update jobs set updated_at = now() - interval '1 minute' where id = $1", [live.id]);
      await pause("rework", "backlog");
      const kinds = ["missing", "unset", "finished", "just-claimed"] as const;
      const reasons = { missing: "orphaned: its workflow is missing", unset: "orphaned: its workflow is missing", finished: "orphaned: its workflow is SUCCESS" };
      await fc.assert(
        fc.asyncProperty(fc.array(fc.constantFrom(...kinds), { minLength: 1, maxLength: 5 }), async (picked) => {
          try {
            const jobs: { id: string; kind: (typeof kinds)[number] }[] = [];
            for (const kind of picked) {
              const { id } = await addJob(commandJob("echo x > stamp.txt"));
              const workflowId = kind === "unset" ? null : kind === "finished" ? finished : `${id}:1`;
              await fabricateRunning(id, { workflowId, ageSeconds: kind === "just-claimed" ? 0 : 60 });
              jobs.push({ id, kind });
            }
            await sweep();
            for (const { id, kind } of jobs) {
              const job = await getJob(id);
              if (kind === "just-claimed") {
                expect(job).toMatchObject({ status: "running", attempts: 1, runnerId: mainId });
                continue;
              }
              expect(job).toMatchObject({ status: "queued", attempts: 1, runnerId: null });
              expect((await lastStatusEvent(id)).payload).toEqual({ status: "queued", reason: reasons[kind], attempt: 1, front: true });
            }
            expect(await getJob(live.id)).toMatchObject({ status: "running", attempts: 1, stage: "agent" });
            expect(await dbosStatus(`${live.id}:1`)).toBe("PENDING");
          } finally {
            await settleJobs([live.id]);
          }
        }),
        { numRuns: 3 },
      );
      await resume("rework", "backlog");
      await gate.release();
      expect((await jobToEnd(live.id)).status).toBe("succeeded");
    });

    it("Property 20: orphan job queue recovery — an orphan goes back to the front of its queue with its attempts kept (failing past max_attempts), then runs again", async () => {
      await pause("rework", "backlog");
      await fc.assert(
        fc.asyncProperty(fc.array(queueArb, { maxLength: 3 }), queueArb, fc.integer({ min: 1, max: 4 }), async (others, queue, attempts) => {
          try {
            const waiting: { id: string; queue: string }[] = [];
            for (const q of others) waiting.push({ id: (await addJob(commandJob("echo x > stamp.txt", "other", q))).id, queue: q });
            const orphan = (await addJob(commandJob("echo x > stamp.txt", "orphan", queue))).id as string;
            await fabricateRunning(orphan, { workflowId: `${orphan}:${attempts}`, attempts });
            await sweep();
            const job = await getJob(orphan);
            const view = (await s.api("GET", "/queues")).body;
            const ids = view.queues.find((q: any) => q.queue === queue).jobs.map((j: any) => j.id);
            const before = waiting.filter((w) => w.queue === queue).map((w) => w.id);
            if (attempts < 3) {
              expect(job).toMatchObject({ status: "queued", queue, position: 1, attempts, runnerId: null, error: null });
              expect(ids).toEqual([orphan, ...before]);
              expect((await getOp(orphan)).status).toBe("pending");
              expect((await lastStatusEvent(orphan)).payload).toEqual({ status: "queued", reason: "orphaned: its workflow is missing", attempt: attempts, front: true });
            } else {
              const error = `orphaned: its workflow is missing; gave up after ${attempts} attempts (max_attempts 3)`;
              expect(job).toMatchObject({ status: "failed", position: null, attempts, error });
              expect(ids).toEqual(before);
              expect(await getOp(orphan)).toMatchObject({ status: "failed", error });
              expect((await events(orphan)).at(-1)).toMatchObject({ type: "complete", payload: { status: "failed", error } });
            }
          } finally {
            await settleJobs();
          }
        }),
        { numRuns: 4 },
      );
      // A re-queued orphan is served again: its next attempt runs it to the end.
      const orphan = (await addJob(commandJob("echo again > stamp.txt", "orphan to recover"))).id as string;
      await fabricateRunning(orphan, { workflowId: `${orphan}:1` });
      await sweep();
      expect((await getJob(orphan)).status).toBe("queued");
      await resume("rework", "backlog");
      expect(await jobToEnd(orphan)).toMatchObject({ status: "succeeded", attempts: 2 });
      const runs = (await events(orphan)).filter((e) => e.type === "status" && e.payload.status === "running");
      expect(runs.map((e) => e.payload.attempt)).toEqual([2]);
    });

    it("Property 21: orphan job failure marking — with recovery 'fail' an orphaned or stuck job fails, saying why, and is not re-queued", async () => {
      // The engine reads its job settings at each sweep.
      s.config.jobs.recovery = "fail";
      try {
        const finished = await finishedWorkflowId();
        await pause("rework", "backlog");
        await fc.assert(
          fc.asyncProperty(fc.constantFrom("missing", "unset", "finished"), fc.integer({ min: 1, max: 2 }), queueArb, async (kind, attempts, queue) => {
            try {
              const id = (await addJob(commandJob("echo x > stamp.txt", "orphan", queue))).id as string;
              await fabricateRunning(id, { workflowId: kind === "unset" ? null : kind === "finished" ? finished : `${id}:${attempts}`, attempts });
              await sweep();
              const error = kind === "finished" ? "orphaned: its workflow is SUCCESS" : "orphaned: its workflow is missing";
              expect(await getJob(id)).toMatchObject({ status: "failed", error, attempts, position: null });
              expect(await getOp(id)).toMatchObject({ status: "failed", error });
              const ev = await events(id);
              expect(ev.at(-1)).toMatchObject({ type: "complete", payload: { status: "failed", error } });
              expect(ev.filter((e) => e.type === "status").map((e) => e.payload.status)).toEqual(["queued", "failed"]);
            } finally {
              await settleJobs();
            }
          }),
          { numRuns: 3 },
        );
        await resume("rework", "backlog");

        // A stuck job (its last event older than stuck_after) fails too, and its agent is stopped.
        const gate = gatedAgent();
        const stuck = (await addJob(commandJob(gate.command, "stuck"))).id as string;
        const pids = await agentStarted(stuck, gate);
        await pool.query("update events set created_at = created_at - interval '25 minutes' where operation_id = $1", [stuck]);
        await pool.query("update jobs set updated_at = updated_at - interval '25 minutes' where id = $1", [stuck]);
        await sweep();
        expect(await getJob(stuck)).toMatchObject({ status: "failed", error: "stuck: no event for 25 min" });
        expect(await dbosStatus(`${stuck}:1`)).toBe("CANCELLED");
        expect(await allGoneWithin(pids, 10_000)).toBe(true);
      } finally {
        s.config.jobs.recovery = "requeue";
      }
    });

    it("Property 22: stuck job detection — a running job with no event for longer than stuck_after is re-queued at the front, its workflow cancelled and its agent stopped; a quieter one is left alone", async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 40 }).filter((m) => m !== STUCK_AFTER_MS / 60_000), async (minutes) => {
          const gate = gatedAgent();
          try {
            await resume("backlog");
            const id = (await addJob(commandJob(gate.command, "maybe stuck"))).id as string;
            const pids = await agentStarted(id, gate);
            await pause("backlog");
            await pool.query("update events set created_at = created_at - make_interval(mins => $2) where operation_id = $1", [id, minutes]);
            await pool.query("update jobs set updated_at = updated_at - make_interval(mins => $2) where id = $1", [id, minutes]);
            await sweep();
            if (minutes * 60_000 > STUCK_AFTER_MS) {
              expect(await getJob(id)).toMatchObject({ status: "queued", position: 1, attempts: 1, runnerId: null });
              expect((await lastStatusEvent(id)).payload).toEqual({ status: "queued", reason: `stuck: no event for ${minutes} min`, attempt: 1, front: true });
              expect(await dbosStatus(`${id}:1`)).toBe("CANCELLED");
              expect(await allGoneWithin(pids, 10_000)).toBe(true);
              // The old attempt does nothing more to the job.
              const settled = (await events(id)).length;
              await new Promise((r) => setTimeout(r, 1000));
              expect(await getJob(id)).toMatchObject({ status: "queued", attempts: 1 });
              expect((await events(id)).length).toBe(settled);
            } else {
              expect(await getJob(id)).toMatchObject({ status: "running", attempts: 1, stage: "agent", runnerId: mainId });
              expect(await dbosStatus(`${id}:1`)).toBe("PENDING");
              await gate.release();
              expect((await jobToEnd(id)).status).toBe("succeeded");
            }
          } finally {
            await gate.release();
            await settleJobs();
          }
        }),
        { numRuns: 2, examples: [[25], [9]] },
      );
    });
  });

  describe("runner health", () => {
    // Runner processes of another workspace (so they take no job here), one to nap and one to be dropped.
    let napping: RunnerProcess;
    let idle: RunnerProcess;
    beforeAll(async () => {
      [napping, idle] = await Promise.all([spawnRunner(s.url, elsewhere.token, "napping"), spawnRunner(s.url, elsewhere.token, "idle-26")]);
      spawned.push(napping, idle);
      await Promise.all([runnerOnline("napping", elsewhere.id), runnerOnline("idle-26", elsewhere.id)]);
    });

    it("Property 23: health check ping — the server pings every connected runner; a runner that answers stays online, seen, with no missed pings", async () => {
      // The real runner process: each answered ping moves last_seen_at; none is counted as missed.
      let last = await runnerOnline("main");
      for (let i = 0; i < 3; i++) {
        const prev = last.last_seen_at.getTime();
        last = await waitFor(async () => {
          const row = await runnerRow("main");
          return row && row.last_seen_at.getTime() > prev ? row : null;
        }, 5_000, "an answered ping");
        expect(last).toMatchObject({ status: "online", missed_pings: 0 });
      }
      // A peer counting the pings it gets: one per interval, each answered, none counted as missed.
      const rows: { status: string; missed_pings: number }[] = [];
      const peer = await connectPeer(s.url, elsewhere.token, "counted-23", async () => {
        rows.push((await runnerRow("counted-23", elsewhere.id))!);
        return true;
      });
      // Counted once each ping's row has been read (the count of pings moves before its read ends).
      await waitFor(async () => rows.length >= 5, 5_000, "5 pings");
      peer.close();
      expect(peer.pings).toBeGreaterThanOrEqual(5);
      for (const row of rows) expect(row).toMatchObject({ status: "online", missed_pings: 0 });
    });

    it("Property 24: health check success — an answer resets the missed-ping count and the runner stays online on the same connection", async () => {
      // Protocol peer: miss k pings (k < 3), answer one; the next ping finds the count back at 0.
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), async (k, rounds) => {
          const name = `resetting-${k}-${rounds}-${Date.now()}`;
          const pattern = Array.from({ length: rounds }, () => [...Array<boolean>(k).fill(false), true]).flat();
          const seen: number[] = [];
          const peer = await connectPeer(s.url, elsewhere.token, name, async (n) => {
            seen.push((await runnerRow(name, elsewhere.id))!.missed_pings);
            return pattern[n - 1] ?? true;
          });
          const connectedAt = (await runnerRow(name, elsewhere.id))!.connected_at.getTime();
          await waitFor(async () => seen.length >= pattern.length + 1, 10_000, "the pings");
          const row = (await runnerRow(name, elsewhere.id))!;
          peer.close();
          expect(row.status).toBe("online");
          expect(row.connected_at.getTime()).toBe(connectedAt);
          // Before each ping: the misses since the last answer.
          const expected: number[] = [];
          let run = 0;
          for (let i = 0; i <= pattern.length; i++) {
            expected.push(run);
            run = pattern[i] === false ? run + 1 : 0;
          }
          expect(seen.slice(0, pattern.length + 1)).toEqual(expected);
        }),
        { numRuns: 3 },
      );

      // A real runner frozen until it has missed a ping, then let go: its answer resets the count, no reconnect.
      const before = await runnerOnline("napping", elsewhere.id);
      napping.freeze();
      try {
        await waitFor(async () => ((await runnerRow("napping", elsewhere.id))!.missed_pings >= 1 ? true : null), 5_000, "a missed ping");
      } finally {
        napping.thaw();
      }
      const after = await waitFor(async () => {
        const row = (await runnerRow("napping", elsewhere.id))!;
        return row.missed_pings === 0 ? row : null;
      }, 5_000, "the count to reset");
      expect(after.status).toBe("online");
      expect(after.connected_at.getTime()).toBe(before.connected_at.getTime());
    });

    it("Property 25: health check failure tracking — consecutive unanswered pings are counted; 3 in a row take the runner offline", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }), async (pattern) => {
          const name = `tracked-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
          const seen: { status: string; missed_pings: number }[] = [];
          const peer = await connectPeer(s.url, elsewhere.token, name, async (n) => {
            seen.push((await runnerRow(name, elsewhere.id))!);
            return pattern[n - 1] ?? true;
          });
          // Model: the misses in a row before each ping; the server gives up at the third.
          const expected: number[] = [];
          let run = 0;
          let dropAfter: number | null = null;
          for (let i = 0; i <= pattern.length; i++) {
            expected.push(run);
            run = pattern[i] === false ? run + 1 : 0;
            if (run === 3) {
              dropAfter = i + 1;
              break;
            }
          }
          if (dropAfter !== null) {
            await waitFor(async () => ((await runnerRow(name, elsewhere.id))!.status === "offline" ? true : null), 10_000, "offline");
            await peer.closed;
            expect(peer.pings).toBe(dropAfter);
            expect(await runnerRow(name, elsewhere.id)).toMatchObject({ status: "offline", missed_pings: 3 });
          } else {
            await waitFor(async () => seen.length >= pattern.length + 1, 10_000, "the pings");
            expect((await runnerRow(name, elsewhere.id))!.status).toBe("online");
            peer.close();
          }
          await waitFor(async () => seen.length >= expected.length, 5_000, "a record per ping");
          expect(seen.slice(0, expected.length).map((r) => r.missed_pings)).toEqual(expected);
          for (const r of seen.slice(0, expected.length)) expect(r.status).toBe("online");
        }),
        { numRuns: 4, examples: [[[false, false, false]], [[false, false, true, false, false, true]], [[true, false, false, false]]] },
      );
    });

    it("Property 26: runner offline detection — a runner that stops answering (socket open) is offline after 3 missed pings, its job goes back to the front; it is online again when it reconnects", async () => {
      const job = await addJob(commandJob('echo started; sleep 1; echo change > stamp.txt', "survive a frozen runner"));
      await waitFor(async () => agentLines(await events(job.id)).includes("started"), 30_000, "the agent to start");
      const before = (await runnerRow("main"))!;
      const seen: { status: string; missed: number }[] = [];
      main.freeze();
      try {
        await waitFor(async () => {
          const r = (await runnerRow("main"))!;
          if (seen.at(-1)?.missed !== r.missed_pings || seen.at(-1)?.status !== r.status) seen.push({ status: r.status, missed: r.missed_pings });
          return r.status === "offline";
        }, 10_000, "main offline");
        // Counted up while it misses (each count is on screen for one interval: polling may skip one), offline
        // only at the third.
        const counts = seen.filter((x) => x.missed > 0).map((x) => x.missed);
        expect(counts.at(-1)).toBe(3);
        expect(counts).toEqual([1, 2, 3].filter((c) => counts.includes(c)));
        expect(seen.filter((x) => x.status === "offline").map((x) => x.missed)).toEqual([3]);
        const requeued = await waitFor(async () => {
          const j = await getJob(job.id);
          return j.status === "queued" ? j : null;
        }, 10_000, "the job back in its queue");
        expect(requeued).toMatchObject({ position: 1, attempts: 1, runnerId: null });
        expect((await lastStatusEvent(job.id)).payload).toMatchObject({ status: "queued", front: true, reason: "runner lost during agent: runner main missed 3 pings" });
        const listed = (await s.api("GET", "/runners")).body.runners.find((r: any) => r.id === mainId);
        expect(listed.status).toBe("offline");
      } finally {
        main.thaw();
      }
      const back = await waitFor(async () => {
        const r = (await runnerRow("main"))!;
        return r.status === "online" ? r : null;
      }, 15_000, "main online again");
      expect(back.missed_pings).toBe(0);
      expect(back.id).toBe(before.id);
      expect(back.connected_at.getTime()).toBeGreaterThan(before.connected_at.getTime());
      const done = await jobToEnd(job.id);
      expect(done).toMatchObject({ status: "succeeded", attempts: 2, runnerId: mainId });
    });

    it("Property 26: runner offline detection — an idle runner dropped for missed pings reconnects and is online again", async () => {
      const before = await runnerOnline("idle-26", elsewhere.id);
      idle.freeze();
      try {
        expect(await runnerOffline("idle-26", elsewhere.id)).toMatchObject({ status: "offline", missed_pings: 3 });
      } finally {
        idle.thaw();
      }
      const back = await waitFor(async () => {
        if (idle.child.exitCode !== null) throw new Error(`the runner process exited (code ${idle.child.exitCode}) instead of reconnecting`);
        const row = (await runnerRow("idle-26", elsewhere.id))!;
        return row.status === "online" && row.connected_at > before.connected_at ? row : null;
      }, 15_000, "idle-26 to reconnect");
      expect(back).toMatchObject({ id: before.id, missed_pings: 0 });
    });

    it("Property 27: schedule pausing — no job is dispatched to an offline runner; waiting jobs start when it is back", async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 3 }), async (n) => {
          const ids: string[] = [];
          try {
            main.freeze();
            await runnerOffline("main");
            for (let i = 0; i < n; i++) ids.push((await addJob(commandJob(`echo ${i} > stamp.txt`, `while offline ${i}`))).id);
            // Every path that hands out jobs gets its chance: a queue resume, the sweep.
            await resume("backlog");
            await sweep();
            for (const [i, id] of ids.entries()) expect(await getJob(id)).toMatchObject({ status: "queued", position: i + 1, attempts: 0, runnerId: null });
            const tasks = await pool.query("select 1 from tasks where operation_id = any($1)", [ids]);
            expect(tasks.rowCount).toBe(0);
            const view = (await s.api("GET", "/queues")).body;
            expect(view.runners.find((r: any) => r.id === mainId)).toMatchObject({ status: "offline", executing: null });
            // Back: as a restarted process (whether a dropped runner reconnects by itself is Property 26's business).
            await restartMain();
            for (const id of ids) expect(await jobToEnd(id)).toMatchObject({ status: "succeeded", attempts: 1, runnerId: mainId });
          } finally {
            if ((await runnerRow("main"))?.status !== "online") await restartMain();
            await settleJobs();
          }
        }),
        { numRuns: 2 },
      );
    });
  });
});
