import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { llmMetrics, type LlmMetrics } from "../agents/llm/index.ts";
import { enqueuedWorkflows } from "../engine/queues.ts";
import { countRunsByStatus } from "../operations/store.ts";
import { countRunnersByStatus } from "../tasks/runner-store.ts";
import { countQueuedTasks } from "../tasks/store.ts";
import type { Queryable } from "../db/pool.ts";
import { RunStatus } from "../domain/statuses.ts";

/** Prometheus metrics; gauges are read from the database at scrape time, so every server reports the same truth. */
export class Metrics {
  readonly registry = new Registry();
  readonly stepDuration: Histogram<"status">;
  readonly httpRequests: Counter<"method" | "status">;
  /** Runner frames the gateway dropped (a task not assigned to that connection's runner, a stale dispatch, ...). */
  readonly runnerFramesRejected: Counter<"reason">;
  /** The model layer's token and cost counters, bumped by the llm steps this server's engine runs. */
  readonly llm: LlmMetrics;

  constructor(db: Queryable) {
    collectDefaultMetrics({ register: this.registry, prefix: "shipyard_process_" });
    this.stepDuration = new Histogram({
      name: "shipyard_step_duration_seconds",
      help: "Duration of step attempts on runners",
      labelNames: ["status"],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
      registers: [this.registry],
    });
    this.httpRequests = new Counter({
      name: "shipyard_http_requests_total",
      help: "HTTP requests served",
      labelNames: ["method", "status"],
      registers: [this.registry],
    });
    this.runnerFramesRejected = new Counter({
      name: "shipyard_runner_frames_rejected_total",
      help: "Log and result frames from runners dropped because the task is not theirs at that dispatch",
      labelNames: ["reason"],
      registers: [this.registry],
    });
    this.llm = llmMetrics(this.registry);
    new Gauge({
      name: "shipyard_runs",
      help: "Workflow runs by status",
      labelNames: ["status"],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const s of RunStatus.options) this.set({ status: s }, 0);
        for (const r of await countRunsByStatus(db)) this.set({ status: r.status }, r.n);
      },
    });
    new Gauge({
      name: "shipyard_queue_depth",
      help: "Work waiting: runs in DBOS queues and step tasks waiting for a runner",
      labelNames: ["queue"],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const r of await enqueuedWorkflows(db).catch(() => [])) this.set({ queue: r.queue_name }, r.n);
        this.set({ queue: "runner-tasks" }, await countQueuedTasks(db));
      },
    });
    new Gauge({
      name: "shipyard_runners",
      help: "Runners by connection status",
      labelNames: ["status"],
      registers: [this.registry],
      async collect() {
        this.reset();
        this.set({ status: "online" }, 0);
        this.set({ status: "offline" }, 0);
        for (const r of await countRunnersByStatus(db)) this.set({ status: r.status }, r.n);
      },
    });
  }
}
