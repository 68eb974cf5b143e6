import { z } from "zod";
import { TaskOutcome } from "../domain/statuses.ts";
import { textProblem } from "../domain/text.ts";

/** The runner/server WebSocket protocol: JSON text frames, validated on both sides. */

export const PROTOCOL_VERSION = 1;
export const RUNNER_PATH = "/api/v1/runners/connect";

/** Close code: the runner speaks another protocol version; reconnecting cannot help, so the runner exits. */
export const CLOSE_PROTOCOL_MISMATCH = 4010;
/** Close code: the token the runner connected with was revoked. */
export const CLOSE_TOKEN_REVOKED = 4011;

/** Whether a runner's steps run in a bubblewrap sandbox (`none`: unsandboxed, e.g. `--no-sandbox`). */
export const Sandbox = z.enum(["bwrap", "none"]);
export type Sandbox = z.infer<typeof Sandbox>;

/**
 * The protocol version of a hello frame that is not this one (null for any other frame), read before the
 * frame is validated: a hello of another version may have another shape, and must still be told why it is refused.
 */
export function otherProtocol(frame: unknown): number | null {
  if (typeof frame !== "object" || frame === null) return null;
  const { type, protocol } = frame as { type?: unknown; protocol?: unknown };
  return type === "hello" && protocol !== PROTOCOL_VERSION ? (typeof protocol === "number" ? protocol : NaN) : null;
}

/** What a runner of another protocol version is told (and prints before it exits). */
export function protocolMismatchMessage(runnerProtocol: number): string {
  const which = Number.isNaN(runnerProtocol) ? "no protocol version" : `runner protocol ${runnerProtocol}`;
  const fix = runnerProtocol > PROTOCOL_VERSION ? "upgrade the server, or run the server's version on the runner" : "upgrade the runner";
  return `this runner speaks ${which} but the server speaks runner protocol ${PROTOCOL_VERSION}: run the same Shipyard version on both (${fix})`;
}

/** What a runner executes for one attempt of a step. */
export const TaskSpec = z.object({
  command: z.string(),
  env: z.record(z.string(), z.string()),
  timeoutMs: z.number().int().positive().optional(),
  delayMs: z.number().int().nonnegative().optional(),
  workingDirectory: z.string().max(1000).optional(),
  /** Share the host's network with the sandbox (default: none). */
  network: z.boolean().optional(),
  /** Host directories the step's sandbox also sees, at the same path (a job's local git remote). */
  mounts: z.array(z.object({ path: z.string(), writable: z.boolean() })).max(10).optional(),
  /** More steps of the run will follow: start the next one's sandbox while this one runs. */
  prewarm: z.boolean().optional(),
});

export type TaskSpec = z.infer<typeof TaskSpec>;

/** How a runner reports the end of one task attempt. */
export const TaskResult = z.object({
  taskId: z.string(),
  dispatch: z.number().int(),
  status: TaskOutcome,
  exitCode: z.number().int().nullable(),
  outputs: z.record(z.string(), z.string()),
  error: z.string().optional(),
  durationMs: z.number().nonnegative(),
});
export type TaskResult = z.infer<typeof TaskResult>;

export const TaskMessage = z.object({
  taskId: z.string(),
  dispatch: z.number().int(),
  runId: z.string(),
  stepId: z.string(),
  attempt: z.number().int(),
  spec: TaskSpec,
});
export type TaskMessage = z.infer<typeof TaskMessage>;

/** Most lines one log message may carry. */
export const MAX_BATCH_LINES = 5000;

export const LogLine = z.object({ stream: z.enum(["stdout", "stderr"]), line: z.string(), time: z.string() });
export type LogLine = z.infer<typeof LogLine>;

/** Text the server stores as sent (runner labels, version): no NUL, no unpaired surrogate. */
const storable = (max: number) => z.string().max(max).refine((s) => textProblem(s) === null, "must be well-formed text without NUL characters");

export const RunnerMessage = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("hello"),
    protocol: z.number().int(),
    name: z.string().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '.', '_' and '-' only"),
    labels: z.array(storable(100)).max(50),
    slots: z.number().int().min(1).max(256),
    version: storable(50),
    running: z.array(z.object({ taskId: z.string().max(300), dispatch: z.number().int() })).max(1000),
    sandbox: Sandbox.default("none"),
    /** The runner sends log batches and results again until they are acknowledged (older runners do not). */
    acks: z.boolean().optional(),
  }),
  z.object({
    type: z.literal("log"),
    taskId: z.string(),
    dispatch: z.number().int(),
    stepId: z.string(),
    attempt: z.number().int(),
    lines: z.array(LogLine).max(MAX_BATCH_LINES),
    /** Numbers the task dispatch's batches from 1: a batch that arrives again is stored once. */
    batch: z.number().int().positive().optional(),
  }),
  z.object({ type: z.literal("result") }).merge(TaskResult),
]);
export type RunnerMessage = z.infer<typeof RunnerMessage>;

export const ServerMessage = z.discriminatedUnion("type", [
  /** `acks`: this server acknowledges what it stored (when the runner's hello asked for it). */
  z.object({ type: z.literal("welcome"), runnerId: z.string(), pingIntervalMs: z.number().int(), acks: z.boolean().optional() }),
  /**
   * The runner may forget the log batch `batch` of the task dispatch (its result when `batch` is absent): it is
   * stored and committed, or refused for good (a frame the server will never store must be acknowledged too,
   * or the runner sends it again for as long as it runs).
   */
  z.object({ type: z.literal("ack"), taskId: z.string(), dispatch: z.number().int(), batch: z.number().int().positive().optional() }),
  z.object({ type: z.literal("task"), task: TaskMessage }),
  z.object({ type: z.literal("cancel"), taskId: z.string() }),
  z.object({ type: z.literal("error"), code: z.string(), message: z.string() }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
