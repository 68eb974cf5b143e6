import { z } from "zod";
import { TaskResult } from "../engine/messages.ts";

/** The runner/server WebSocket protocol: JSON text frames, validated on both sides. */

export const PROTOCOL_VERSION = 1;
export const RUNNER_PATH = "/api/v1/runners/connect";

const TaskSpec = z.object({
  command: z.string(),
  env: z.record(z.string(), z.string()),
  timeoutMs: z.number().int().positive().optional(),
  delayMs: z.number().int().nonnegative().optional(),
});

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

export const RunnerMessage = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("hello"),
    protocol: z.number().int(),
    name: z.string().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '.', '_' and '-' only"),
    labels: z.array(z.string().max(100)).max(50),
    slots: z.number().int().min(1).max(256),
    version: z.string().max(50),
    running: z.array(z.object({ taskId: z.string(), dispatch: z.number().int() })),
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
