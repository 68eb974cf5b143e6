// Coding-agent jobs on real runner processes (started here, as `shipyard runner` would be on other machines):
//   (a) 100 queued no-op jobs across 4 runners with one slot each: jobs per minute, and checks that every job
//       succeeded and that no runner ever ran two jobs at once;
//   (b) the dispatch gap: one job's `complete` → the next job's `status: running` on the same runner;
//   (c) how long until a runner that was SIGKILLed (socket closed) or SIGSTOPped (socket open, no pongs) is
//       shown offline by GET /runners.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import pg from "pg";
import {
  bareRemote,
  BIN,
  ROOT,
  cpuBetween,
  cpuSnapshot,
  main,
  median,
  onCleanup,
  percentile,
  procCpu,
  report,
  round,
  sleep,
  startBenchShipyard,
  tempDir,
  waitUntil,
  wallMs,
  type BenchShipyard,
  type CpuSnapshot,
} from "./lib/common.ts";

const JOBS = 100;
const RUNNERS = 4;
const WARMUP_JOBS = 4;
const PING_MS = 1000;
const OFFLINE_SAMPLES = 5;
const POLL_MS = 100;
const OFFLINE_POLL_MS = 20;
const GAP_TARGET_MS = 200;
const OFFLINE_TARGET_MS = 3 * PING_MS + 1000;
// The agent: a trivial change (a job whose agent changes nothing fails with "the agent made no changes").
const COMMAND = "date +%s%N > stamp.txt";
const STAGES = ["credentials", "prepare", "agent", "verify", "push", "pull_request", "cleanup"] as const;
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

// ---------------------------------------------------------------------------------------------------------
// Fixture and runner processes.

interface RunnerProc {
  name: string;
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
}

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/**
 * `shipyard runner --slots 1` as a child process in a process group of its own (so its step processes are
 * stopped with it); stopped at cleanup. `--exit-with-parent`: should this bench die, the runner leaves too.
 */
function spawnRunner(s: BenchShipyard, name: string, dir: string): RunnerProc {
  const child = spawn(
    process.execPath,
    [BIN, "runner", "--server", s.url, "--token", s.adminToken, "--name", name, "--slots", "1", "--work-dir", path.join(dir, name), "--exit-with-parent"],
    // Its log lines go to stderr: stdout is this bench's figures.
    { cwd: ROOT, env: process.env, stdio: ["ignore", 2, 2], detached: true },
  );
  if (child.pid === undefined) throw new Error(`runner ${name} did not start`);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  onCleanup(async () => {
    if (!alive(child)) return;
    // Signals go to the group only while the runner is unreaped (so its pid, the group id, cannot be reused).
    const group = (sig: NodeJS.Signals) => {
      try {
        if (alive(child)) process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    };
    group("SIGCONT");
    group("SIGTERM");
    const timer = setTimeout(() => group("SIGKILL"), 8000);
    await exited;
    clearTimeout(timer);
  });
  return { name, child, pid: child.pid, exited };
}

interface RunnerRow {
  id: string;
  name: string;
  status: "online" | "offline";
  lastSeenAt: string | null;
}

async function runnerRows(s: BenchShipyard): Promise<RunnerRow[]> {
  const res = await s.api("GET", "/runners");
  if (res.status !== 200) throw new Error(`GET /runners answered ${res.status}`);
  return res.body.runners as RunnerRow[];
}

async function waitOnline(s: BenchShipyard, names: string[]): Promise<Map<string, string>> {
  return waitUntil(
    async () => {
      const rows = (await runnerRows(s)).filter((r) => names.includes(r.name) && r.status === "online");
      return rows.length === names.length ? new Map(rows.map((r) => [r.id, r.name])) : null;
    },
    30_000,
    `runners ${names.join(", ")} online`,
    20,
  );
}

/** CPU seconds of the runner processes, with their reaped children (bash, git). */
function runnersCpu(runners: RunnerProc[]): number {
  let total = 0;
  for (const r of runners) {
    const c = procCpu(r.pid);
    if (c) total += c.own + c.children;
  }
  return total;
}

const snapshot = (s: BenchShipyard, runners: RunnerProc[]): CpuSnapshot => ({ ...cpuSnapshot(s), runner: runnersCpu(runners) });

// ---------------------------------------------------------------------------------------------------------
// (a) and (b): jobs.

interface Job {
  id: string;
  status: string;
  error: string | null;
  attempts: number;
  runnerId: string | null;
}

interface Timeline {
  id: string;
  runnerId: string;
  attempts: number;
  /** The (last) `status: running` event: the claim. */
  running: number;
  /** The `complete` event. */
  complete: number;
  /** The runner named by the running event (must equal the job's runnerId). */
  eventRunnerId: string | null;
  stages: Map<string, { started: number; ended: number | null }>;
}

async function addJob(s: BenchShipyard, projectId: string, n: number): Promise<string> {
  const res = await s.api("POST", "/jobs", { projectId, prompt: `no-op job ${n}`, executor: { type: "command", command: COMMAND } });
  if (res.status !== 201) throw new Error(`POST /jobs answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** Poll GET /jobs until every given job has ended; also the most jobs seen running at once. */
async function waitForJobs(s: BenchShipyard, ids: Set<string>, timeoutMs: number): Promise<{ jobs: Job[]; maxRunning: number; polls: number }> {
  let maxRunning = 0;
  let polls = 0;
  for (const deadline = Date.now() + timeoutMs; ; ) {
    polls += 1;
    const res = await s.api("GET", "/jobs?limit=500");
    const jobs = (res.body.jobs as Job[]).filter((j) => ids.has(j.id));
    maxRunning = Math.max(maxRunning, jobs.filter((j) => j.status === "running").length);
    if (jobs.length === ids.size && jobs.every((j) => TERMINAL.has(j.status))) return { jobs, maxRunning, polls };
    if (Date.now() > deadline) {
      const left = jobs.filter((j) => !TERMINAL.has(j.status)).length;
      throw new Error(`${left} of ${ids.size} jobs still unfinished after ${timeoutMs} ms`);
    }
    await sleep(POLL_MS);
  }
}

async function timeline(s: BenchShipyard, job: Job): Promise<Timeline | null> {
  const res = await s.api("GET", `/operations/${job.id}/events?limit=5000`);
  if (res.status !== 200) throw new Error(`events of ${job.id}: ${res.status}`);
  const events = res.body.events as { type: string; payload: Record<string, any>; time: string }[];
  const running = events.filter((e) => e.type === "status" && e.payload.status === "running").at(-1);
  const complete = events.find((e) => e.type === "complete");
  if (!running || !complete || !job.runnerId) return null;
  const stages = new Map<string, { started: number; ended: number | null }>();
  for (const e of events) {
    if (e.type !== "stage" || e.payload.attempt !== job.attempts) continue;
    const t = Date.parse(e.time);
    const name = String(e.payload.stage);
    if (e.payload.status === "started") stages.set(name, { started: t, ended: null });
    else if (stages.has(name)) stages.get(name)!.ended = t;
  }
  return {
    id: job.id,
    runnerId: job.runnerId,
    attempts: job.attempts,
    running: Date.parse(running.time),
    complete: Date.parse(complete.time),
    eventRunnerId: (running.payload.runnerId as string | undefined) ?? null,
    stages,
  };
}

async function inBatches<T, R>(items: T[], size: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

interface Gap {
  prev: Timeline;
  next: Timeline;
  ms: number;
}

// Each part starts where the previous one ended, or later (a dispatch may have been waiting already).
const GAP_PARTS = [
  "complete event → job's finish step recorded",
  "→ next dispatch enqueued (0 if one waited)",
  "→ dequeued (queue poll 50 ms, or behind others)",
  "→ its claim step started (workflow start)",
  "→ claimed (the running event)",
] as const;

interface GapSplit {
  parts: Map<string, number[]>;
  slowest: number[] | null;
  matched: number;
  /** Gaps whose job was claimed by a dispatch enqueued before the previous job ended (e.g. by a POST /jobs). */
  preQueued: number;
  /** Dispatch workflows run in all, and how many of them claimed a job. */
  dispatches: number;
  claiming: number;
  /** Dispatches enqueued while the jobs were POSTed (backlog paused): how many, and when the last one was dequeued, relative to the resume. */
  queuedWhilePaused: number;
  lastPausedDequeuedAfterResumeMs: number | null;
}

/**
 * Diagnostic only, read after the measurement: DBOS's own records split each gap into the end of the previous
 * job's workflow (its `finish` step, then starting the runner's dispatch workflow), the dispatch queue's
 * pick-up and the claim transaction. Times are this machine's clock (DBOS: the server process; events: PostgreSQL).
 */
async function gapParts(databaseUrl: string, gaps: Gap[], pausedFrom: number, resumedAt: number): Promise<GapSplit> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const finish = await client.query<{ workflow_uuid: string; completed: string | null }>(
      "select workflow_uuid, completed_at_epoch_ms as completed from dbos.operation_outputs where function_name = 'finish'",
    );
    // The dispatch workflow that claimed a job started the job's workflow (id `<job>:<attempt>`) as its child.
    const dispatch = await client.query<{ child: string; created: string; started: string | null; claim: string | null }>(
      `select o.child_workflow_id as child, w.created_at as created, w.started_at_epoch_ms as started, c.started_at_epoch_ms as claim
       from dbos.workflow_status w join dbos.operation_outputs o on o.workflow_uuid = w.workflow_uuid
       left join dbos.operation_outputs c on c.workflow_uuid = w.workflow_uuid and c.function_name = 'claim'
       where w.name = 'shipyard.job-dispatch' and o.child_workflow_id is not null`,
    );
    const all = await client.query<{ created: string; started: string | null }>(
      "select created_at as created, started_at_epoch_ms as started from dbos.workflow_status where name = 'shipyard.job-dispatch'",
    );
    const paused = all.rows.filter((r) => Number(r.created) >= pausedFrom && Number(r.created) < resumedAt);
    const pausedStarts = paused.map((r) => Number(r.started ?? Number.NaN)).filter(Number.isFinite);
    const finishedAt = new Map(finish.rows.filter((r) => r.completed !== null).map((r) => [r.workflow_uuid, Number(r.completed)]));
    const claimedBy = new Map<string, { created: number; started: number; claim: number }>();
    for (const r of dispatch.rows) {
      if (r.started !== null && r.claim !== null) claimedBy.set(r.child, { created: Number(r.created), started: Number(r.started), claim: Number(r.claim) });
    }
    const parts = new Map<string, number[]>(GAP_PARTS.map((k) => [k, []]));
    let slowest: number[] | null = null;
    let slowestMs = -Infinity;
    let matched = 0;
    let preQueued = 0;
    for (const g of gaps) {
      const f = finishedAt.get(`${g.prev.id}:${g.prev.attempts}`);
      const d = claimedBy.get(`${g.next.id}:${g.next.attempts}`);
      if (f === undefined || !d) continue;
      matched += 1;
      if (d.created < f) preQueued += 1;
      const enqueued = Math.max(d.created, f);
      const dequeued = Math.max(d.started, enqueued);
      const claiming = Math.max(d.claim, dequeued);
      const split = [f - g.prev.complete, enqueued - f, dequeued - enqueued, claiming - dequeued, g.next.running - claiming];
      split.forEach((v, i) => parts.get(GAP_PARTS[i]!)!.push(v));
      if (g.ms > slowestMs) {
        slowestMs = g.ms;
        slowest = split;
      }
    }
    return {
      parts,
      slowest,
      matched,
      preQueued,
      dispatches: all.rows.length,
      claiming: dispatch.rows.length,
      queuedWhilePaused: paused.length,
      lastPausedDequeuedAfterResumeMs: pausedStarts.length > 0 ? Math.max(...pausedStarts) - resumedAt : null,
    };
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------------
// (c): offline detection.

interface OfflineSample {
  ms: number;
  /** Server time of the runner's last pong (last_seen_at) → offline seen, for the frozen runner. */
  lastPongToOfflineMs: number | null;
}

/** Start a fresh runner, let it answer pings for a while, signal it, poll GET /runners until it is offline. */
async function offlineSample(s: BenchShipyard, dir: string, name: string, signal: "SIGKILL" | "SIGSTOP"): Promise<OfflineSample> {
  const r = spawnRunner(s, name, dir);
  await waitOnline(s, [name]);
  // At least one ping answered, and a random phase against the server's ping timer.
  await sleep(PING_MS + Math.random() * PING_MS);
  const t0 = wallMs();
  process.kill(r.pid, signal);
  const row = await waitUntil(
    async () => (await runnerRows(s)).find((x) => x.name === name && x.status === "offline"),
    30_000,
    `runner ${name} offline after ${signal}`,
    OFFLINE_POLL_MS,
  );
  const seen = wallMs();
  if (signal === "SIGSTOP") {
    // SIGKILL first (it ends a stopped process too), so the runner never runs again to log a reconnect.
    process.kill(r.pid, "SIGKILL");
    process.kill(r.pid, "SIGCONT");
  }
  await r.exited;
  return {
    ms: seen - t0,
    lastPongToOfflineMs: signal === "SIGSTOP" && row.lastSeenAt ? seen - Date.parse(row.lastSeenAt) : null,
  };
}

// ---------------------------------------------------------------------------------------------------------

main("jobs", async () => {
  const s = await startBenchShipyard({}, { localRunner: false, pingIntervalMs: PING_MS });
  const remote = bareRemote("shipyard-bench-repo-");
  const runnerDir = tempDir("shipyard-bench-runners-");
  const runners = Array.from({ length: RUNNERS }, (_, i) => spawnRunner(s, `r${i + 1}`, runnerDir));
  const runnerNames = await waitOnline(s, runners.map((r) => r.name));

  const project = await s.api("POST", "/projects", { name: "bench", repo: remote, defaultBranch: "main", verify: [] });
  if (project.status !== 201) throw new Error(`POST /projects answered ${project.status}: ${JSON.stringify(project.body)}`);
  const projectId = project.body.id as string;

  // Warm-up: every runner clones once, the job workflow's code paths are loaded.
  const warm = new Set(await Promise.all(Array.from({ length: WARMUP_JOBS }, (_, i) => addJob(s, projectId, -i - 1))));
  const warmed = await waitForJobs(s, warm, 120_000);
  const warmFailed = warmed.jobs.filter((j) => j.status !== "succeeded");
  if (warmFailed.length > 0) throw new Error(`warm-up job failed: ${warmFailed[0]!.error}`);

  // (a) 100 jobs queued behind a paused backlog, then released at once.
  const paused = await s.api("POST", "/queues/backlog/pause");
  if (paused.status !== 200) throw new Error(`pause answered ${paused.status}`);
  const q0 = wallMs();
  const ids: string[] = [];
  for (let i = 1; i <= JOBS; i++) ids.push(await addJob(s, projectId, i));
  const queueMs = wallMs() - q0;
  const view = (await s.api("GET", "/queues")).body;
  const waiting = view.queues.find((q: any) => q.queue === "backlog")?.jobs.length;
  if (waiting !== JOBS) throw new Error(`expected ${JOBS} jobs waiting in the paused backlog, found ${waiting}`);

  const cpu0 = snapshot(s, runners);
  const t0 = wallMs();
  const resumed = await s.api("POST", "/queues/backlog/resume");
  if (resumed.status !== 200) throw new Error(`resume answered ${resumed.status}`);
  const done = await waitForJobs(s, new Set(ids), 10 * 60_000);
  const totalMs = wallMs() - t0;
  const cpu = cpuBetween(cpu0, snapshot(s, runners), totalMs);

  const notSucceeded = done.jobs.filter((j) => j.status !== "succeeded");
  const retried = done.jobs.filter((j) => j.attempts !== 1).length;
  const lines = (await inBatches(done.jobs, 10, (j) => timeline(s, j))).filter((t): t is Timeline => t !== null);
  const mismatchedRunner = lines.filter((t) => t.eventRunnerId !== t.runnerId).length;

  // One job at a time per runner: per runner, each job is claimed no earlier than the previous one completed.
  const byRunner = new Map<string, Timeline[]>();
  for (const t of lines) byRunner.set(t.runnerId, [...(byRunner.get(t.runnerId) ?? []), t]);
  let overlaps = 0;
  const gapList: Gap[] = [];
  for (const list of byRunner.values()) {
    list.sort((x, y) => x.running - y.running);
    for (let i = 1; i < list.length; i++) {
      const gap = list[i]!.running - list[i - 1]!.complete;
      if (gap < 0) overlaps += 1;
      gapList.push({ prev: list[i - 1]!, next: list[i]!, ms: gap });
    }
  }
  const gaps = gapList.map((x) => x.ms);
  const gapSplit = await gapParts(s.databaseUrl, gapList, q0, t0);
  const perRunner = [...byRunner.entries()]
    .map(([id, list]) => `${runnerNames.get(id) ?? id} ${list.length}`)
    .sort()
    .join(", ");

  const firstClaim = Math.min(...lines.map((t) => t.running));
  const lastComplete = Math.max(...lines.map((t) => t.complete));
  const serverSpanMs = lastComplete - firstClaim;
  const jobMs = lines.map((t) => t.complete - t.running);
  const busy = jobMs.reduce((a, b) => a + b, 0) / serverSpanMs;

  // Where a job's time goes (server clock, from its status, stage and complete events).
  const parts = new Map<string, number[]>();
  const add = (k: string, v: number) => parts.set(k, [...(parts.get(k) ?? []), v]);
  for (const t of lines) {
    const ordered = STAGES.map((n) => t.stages.get(n)).filter((x): x is { started: number; ended: number } => x !== undefined && x.ended !== null);
    if (ordered.length !== STAGES.length) continue;
    add("claim → first stage (job workflow start)", ordered[0]!.started - t.running);
    STAGES.forEach((n, i) => add(`stage ${n}`, ordered[i]!.ended - ordered[i]!.started));
    let between = 0;
    for (let i = 1; i < ordered.length; i++) between += ordered[i]!.started - ordered[i - 1]!.ended;
    add("between stages (6 gaps)", between);
    add("cleanup done → complete", t.complete - ordered.at(-1)!.ended);
  }
  const totalP50 = median(jobMs);
  const breakdown = [...parts.entries()].map(
    ([k, v]) => `    ${k.padEnd(42)} p50 ${String(round(median(v), 0)).padStart(5)} ms   p99 ${String(round(percentile(v, 99), 0)).padStart(5)} ms   (${round((100 * median(v)) / totalP50, 0)}% of the p50 job)`,
  );

  // (c) Offline detection.
  const killed: OfflineSample[] = [];
  const frozen: OfflineSample[] = [];
  for (let i = 1; i <= OFFLINE_SAMPLES; i++) killed.push(await offlineSample(s, runnerDir, `kill-${i}`, "SIGKILL"));
  for (let i = 1; i <= OFFLINE_SAMPLES; i++) frozen.push(await offlineSample(s, runnerDir, `freeze-${i}`, "SIGSTOP"));
  const ms = (xs: number[]) => xs.map((x) => round(x, 0));
  const killMs = killed.map((x) => x.ms);
  const stopMs = frozen.map((x) => x.ms);
  const pongToOffline = frozen.map((x) => x.lastPongToOfflineMs).filter((x): x is number => x !== null);

  const g = (p: number) => round(percentile(gaps, p), 0);
  const jobsPerMin = round((JOBS * 60_000) / totalMs, 1);
  report(
    "jobs",
    [
      `${JOBS} no-op jobs (agent: \`${COMMAND}\`, verify: none, local bare repo) queued in a paused backlog (${round(queueMs, 0)} ms to POST), then resumed;`,
      `${RUNNERS} runner processes with 1 slot each; ${WARMUP_JOBS} warm-up jobs before; ping interval ${PING_MS} ms`,
      `(a) ${JOBS - notSucceeded.length} of ${JOBS} succeeded ${round(totalMs, 0)} ms after the resume (GET /jobs polled every ${POLL_MS} ms) = ${jobsPerMin} jobs/min` +
        `${notSucceeded.length ? `; NOT succeeded: ${notSucceeded.length} (first error: ${notSucceeded[0]!.error?.split("\n")[0]})` : ""}`,
      `    server clock: resume sent → first claim ${round(firstClaim - t0, 0)} ms, first claim → last complete ${serverSpanMs} ms = ${round((JOBS * 60_000) / serverSpanMs, 1)} jobs/min`,
      `    jobs per runner: ${perRunner}; runners busy on average ${round(busy, 2)} of ${RUNNERS}; most jobs seen running at once ${done.maxRunning}`,
      `    one job at a time per runner: ${overlaps === 0 ? "yes" : "NO"} (${overlaps} claims before the runner's previous job completed); retried jobs: ${retried}; running event names another runner: ${mismatchedRunner}`,
      `    job claim → complete: p50 ${round(totalP50, 0)} ms, p99 ${round(percentile(jobMs, 99), 0)} ms; where it goes (server clock, stage events):`,
      ...breakdown,
      `    ${cpu.text.replace("runner+bash", "4 runners+bash+git")}; CPU per job ${round(((cpu.nodeS + cpu.runnerS + cpu.postgresS) * 1000) / JOBS, 0)} ms`,
      `(b) dispatch gap, a job's complete → the next job's running on the same runner (${gaps.length} gaps, server clock): p50 ${g(50)} ms, p99 ${g(99)} ms, max ${g(100)} ms — target < ${GAP_TARGET_MS} ms`,
      `    where the gap goes (${gapSplit.matched} gaps matched with DBOS's workflow and step records; ${gapSplit.preQueued} of them served by a dispatch already waiting):`,
      ...GAP_PARTS.map((k) => {
        const v = gapSplit.parts.get(k)!;
        return `      ${k.padEnd(48)} p50 ${String(round(median(v), 0)).padStart(4)} ms   p99 ${String(round(percentile(v, 99), 0)).padStart(4)} ms`;
      }),
      `      the slowest gap (${g(100)} ms): ${gapSplit.slowest ? gapSplit.slowest.map((v) => round(v, 0)).join(" + ") : "n/a"} ms`,
      `    dispatch workflows run: ${gapSplit.dispatches} for ${JOBS + WARMUP_JOBS} jobs (${gapSplit.claiming} claimed one); ${gapSplit.queuedWhilePaused} were enqueued while the ${JOBS} jobs were POSTed` +
        ` (one per online runner per POST), the last of them dequeued ${gapSplit.lastPausedDequeuedAfterResumeMs === null ? "n/a" : round(gapSplit.lastPausedDequeuedAfterResumeMs, 0)} ms after the resume`,
      `(c) runner → offline in GET /runners (polled every ${OFFLINE_POLL_MS} ms), ${OFFLINE_SAMPLES} fresh runners each; target ≤ 3 pings + 1 s = ${OFFLINE_TARGET_MS} ms`,
      `    SIGKILL (socket closed):        ${ms(killMs).join(", ")} ms; max ${round(Math.max(...killMs), 0)} ms`,
      `    SIGSTOP (socket open, silent): ${ms(stopMs).join(", ")} ms; max ${round(Math.max(...stopMs), 0)} ms`,
      `    SIGSTOP, last pong → offline:  ${ms(pongToOffline).join(", ")} ms (= ${pongToOffline.map((x) => round(x / PING_MS, 2)).join(", ")} ping intervals)`,
    ],
    {
      jobs: JOBS,
      runners: RUNNERS,
      succeeded: JOBS - notSucceeded.length,
      notSucceeded: notSucceeded.length,
      overlaps,
      retried,
      jobsPerMin,
      totalMs: round(totalMs, 0),
      serverSpanMs,
      jobsPerMinServer: round((JOBS * 60_000) / serverSpanMs, 1),
      jobP50Ms: round(totalP50, 0),
      jobP99Ms: round(percentile(jobMs, 99), 0),
      runnersBusy: round(busy, 2),
      stageP50Ms: Object.fromEntries([...parts.entries()].map(([k, v]) => [k, round(median(v), 0)])),
      gapP50Ms: g(50),
      gapP99Ms: g(99),
      gapMaxMs: g(100),
      dispatchWorkflows: gapSplit.dispatches,
      dispatchesQueuedWhilePaused: gapSplit.queuedWhilePaused,
      pausedDispatchesDrainedAfterResumeMs: gapSplit.lastPausedDequeuedAfterResumeMs === null ? null : round(gapSplit.lastPausedDequeuedAfterResumeMs, 0),
      gapPartsP50Ms: Object.fromEntries(GAP_PARTS.map((k) => [k, round(median(gapSplit.parts.get(k)!), 0)])),
      coresBusy: cpu.coresBusy,
      pingIntervalMs: PING_MS,
      offlineTargetMs: OFFLINE_TARGET_MS,
      killOfflineMs: ms(killMs),
      killOfflineMaxMs: round(Math.max(...killMs), 0),
      stopOfflineMs: ms(stopMs),
      stopOfflineMaxMs: round(Math.max(...stopMs), 0),
      stopOfflineMedianMs: round(median(stopMs), 0),
      stopLastPongToOfflineMs: ms(pongToOffline),
    },
  );
});
