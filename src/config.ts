import path from "node:path";
import { z } from "zod";
import type { UrlPolicy } from "./net/url-policy.ts";
import { parseRetrySchedule } from "./webhooks/retry-schedule.ts";
import { TRACING_ENV, tracingFrom, type TracingSettings } from "./tracing/settings.ts";

/** Environment read once at boot; every setting is optional. */
const EnvSchema = z.object({
  SHIPYARD_DATA_DIR: z.string().min(1).optional(),
  SHIPYARD_PORT: z.coerce.number().int().min(0).max(65535).default(7420),
  SHIPYARD_HOST: z.string().min(1).default("127.0.0.1"),
  SHIPYARD_PG_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  SHIPYARD_PREVIEW_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SHIPYARD_PREVIEW_BASE_DOMAIN: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i, "a DNS name such as previews.example.com").default("localhost"),
  SHIPYARD_MAX_ARTIFACT_BYTES: z.coerce.number().int().min(1024).default(100 * 1024 * 1024),
  SHIPYARD_EXECUTOR_ID: z.string().min(1).default("local"),
  SHIPYARD_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  SHIPYARD_RUNNER_SLOTS: z.coerce.number().int().min(1).max(256).default(8),
  SHIPYARD_PING_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(10_000),
  SHIPYARD_RUNNER_LOST_AFTER_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  SHIPYARD_JOBS_ONE_PER_WORKSPACE: z.enum(["true", "false", "1", "0"]).default("false"),
  SHIPYARD_STUCK_AFTER_MS: z.coerce.number().int().min(1000).default(60 * 60 * 1000),
  SHIPYARD_ORPHAN_RECOVERY: z.enum(["requeue", "fail"]).default("requeue"),
  DATABASE_URL: z.string().url().optional(),
  SHIPYARD_CASSETTES: z.string().min(1).optional(),
  SHIPYARD_ALLOW_PRIVATE_URLS: z.enum(["true", "false", "1", "0"]).default("false"),
  SHIPYARD_ALLOWED_HTTP_HOSTS: z
    .string()
    .default("")
    .transform((v) => v.split(",").map((h) => h.trim().toLowerCase()).filter((h) => h !== ""))
    .pipe(z.array(z.string().regex(/^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/, "each host is `host` or `host:port`, comma-separated"))),
  SHIPYARD_ALLOW_LOCAL_REPOS: z.enum(["true", "false", "1", "0"]).default("true"),
  SHIPYARD_GITHUB_API_URL: z.string().url().default("https://api.github.com"),
  SHIPYARD_API_URL: z.string().url().optional(),
  SHIPYARD_WORKER_HEARTBEAT_MS: z.coerce.number().int().min(50).max(60_000).default(5000),
  SHIPYARD_WORKER_DEAD_AFTER_MS: z.coerce.number().int().min(150).default(20_000),
  SHIPYARD_WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .regex(/^\s*\d+(?:\.\d+)?\s*(?:,\s*\d+(?:\.\d+)?\s*)*$/, "comma-separated seconds, e.g. 0,5,300")
    .transform(parseRetrySchedule)
    .optional(),
  ...TRACING_ENV,
}).refine((e) => e.SHIPYARD_WORKER_DEAD_AFTER_MS >= 3 * e.SHIPYARD_WORKER_HEARTBEAT_MS, {
  message: "must be at least 3 heartbeats (SHIPYARD_WORKER_HEARTBEAT_MS)",
  path: ["SHIPYARD_WORKER_DEAD_AFTER_MS"],
});

const flag = (v: "true" | "false" | "1" | "0") => v === "true" || v === "1";

export interface Config {
  dataDir: string;
  port: number;
  host: string;
  pgPort: number;
  databaseUrl?: string;
  executorId: string;
  logLevel: string;
  runnerSlots: number;
  /** The server pings each runner this often; 3 misses in a row make it offline. */
  pingIntervalMs: number;
  /** A disconnected runner's tasks are declared lost this long after it was last seen (it may come back for them). */
  runnerLostAfterMs: number;
  jobs: { onePerWorkspace: boolean; stuckAfterMs: number; recovery: "requeue" | "fail" };
  /** Where `replay:` models (and recordings) find cassettes; undefined: the repository's `cassettes/`. */
  cassettesDir?: string;
  /** What users may point the server and its runners at (see the README, "Outbound URLs"). */
  urls: UrlPolicy;
  /** The GitHub API for projects that name none (operator configuration, so not subject to `urls`). */
  githubApiUrl: string;
  /** SHIPYARD_API_URL: where a worker's http steps reach Shipyard's API (a server sharing its secret key). */
  apiUrl?: string;
  /** This process's heartbeat, and how long a silent worker has before its pending workflows are recovered. */
  workers: { heartbeatMs: number; deadAfterMs: number };
  /** The preview host: its port (0: any free one) and the domain its `<project>.<baseDomain>` names are under. */
  previews: { port: number; baseDomain: string };
  /** Largest build artifact a task may upload. */
  maxArtifactBytes: number;
  /** Spans to an OTLP/HTTP endpoint (the standard OTEL_* variables); null when none is set. */
  tracing: TracingSettings | null;
  /** Seconds before each webhook attempt (SHIPYARD_WEBHOOK_RETRY_SCHEDULE); undefined: the spec's schedule. */
  webhookRetrySchedule?: number[];
}

/** Parse the process environment into a Config, with a readable error for bad values. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid environment:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    dataDir: path.resolve(cwd, e.SHIPYARD_DATA_DIR ?? ".shipyard"),
    port: e.SHIPYARD_PORT,
    host: e.SHIPYARD_HOST,
    // The API's port + 1 is the preview host's; the embedded PostgreSQL's is + 2.
    pgPort: e.SHIPYARD_PG_PORT ?? (e.SHIPYARD_PORT === 0 ? 0 : e.SHIPYARD_PORT + 2),
    databaseUrl: e.DATABASE_URL,
    executorId: e.SHIPYARD_EXECUTOR_ID,
    logLevel: e.SHIPYARD_LOG_LEVEL,
    runnerSlots: e.SHIPYARD_RUNNER_SLOTS,
    pingIntervalMs: e.SHIPYARD_PING_INTERVAL_MS,
    runnerLostAfterMs: e.SHIPYARD_RUNNER_LOST_AFTER_MS,
    jobs: {
      onePerWorkspace: e.SHIPYARD_JOBS_ONE_PER_WORKSPACE === "true" || e.SHIPYARD_JOBS_ONE_PER_WORKSPACE === "1",
      stuckAfterMs: e.SHIPYARD_STUCK_AFTER_MS,
      recovery: e.SHIPYARD_ORPHAN_RECOVERY,
    },
    cassettesDir: e.SHIPYARD_CASSETTES === undefined ? undefined : path.resolve(cwd, e.SHIPYARD_CASSETTES),
    urls: {
      allowPrivate: flag(e.SHIPYARD_ALLOW_PRIVATE_URLS),
      allowedHttpHosts: e.SHIPYARD_ALLOWED_HTTP_HOSTS,
      allowLocalRepos: flag(e.SHIPYARD_ALLOW_LOCAL_REPOS),
    },
    githubApiUrl: e.SHIPYARD_GITHUB_API_URL,
    apiUrl: e.SHIPYARD_API_URL,
    workers: { heartbeatMs: e.SHIPYARD_WORKER_HEARTBEAT_MS, deadAfterMs: e.SHIPYARD_WORKER_DEAD_AFTER_MS },
    tracing: tracingFrom(e),
    previews: { port: e.SHIPYARD_PREVIEW_PORT ?? (e.SHIPYARD_PORT === 0 ? 0 : e.SHIPYARD_PORT + 1), baseDomain: e.SHIPYARD_PREVIEW_BASE_DOMAIN.toLowerCase() },
    maxArtifactBytes: e.SHIPYARD_MAX_ARTIFACT_BYTES,
    webhookRetrySchedule: e.SHIPYARD_WEBHOOK_RETRY_SCHEDULE,
  };
}
