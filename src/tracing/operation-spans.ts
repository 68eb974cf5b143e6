import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span as ApiSpan, type Tracer } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-node";
import type { FinishedTask, TraceReads, TracedOperation } from "./trace-reads.ts";

// DBOS's span attributes in its `semconv` format (the engine asks for that format).
const WORKFLOW_ID = "dbos.operation.workflow_id";
const OPERATION_TYPE = "dbos.operation.type";
const OPERATION_NAME = "dbos.operation.name";

/**
 * The DBOS workflows that carry a Shipyard operation: the tasks whose results they take become step spans
 * (`shipyard.run` is the run workflow of runs started before results woke it: see src/runs/workflow.ts).
 */
const OPERATION_WORKFLOWS = new Set(["shipyard.run.2", "shipyard.run", "shipyard.job"]);

/**
 * Finished tasks are read again from this long before the latest one seen: `finished_at` is its transaction's
 * start, and a longer transaction (a cancel, say) may commit after a later one has been read.
 */
const REREAD_MS = 60_000;

/** One operation workflow executing in this process, from its first step to its end. */
interface Traced {
  workflowSpan: Span;
  operation: TracedOperation | null;
  /** Tasks already drawn, as `id:dispatch`. */
  drawn: Set<string>;
  since: Date | null;
  /** Reads for one workflow run one after another; a read asked for while one waits adds nothing. */
  chain: Promise<void>;
  readWaiting: boolean;
}

/** Shipyard's attributes of an operation, on its workflow span and every span under it. */
export function operationAttributes(op: TracedOperation): Attributes {
  return { "shipyard.operation.id": op.id, "shipyard.operation.kind": op.kind, "shipyard.workspace.id": op.workspaceId };
}

/**
 * A span processor that adds Shipyard's view to DBOS's spans: the operation on a run's or job's workflow span
 * and its DBOS steps, and one span per step attempt (a task: queued, assigned to a runner, finished), a child
 * of the workflow span, drawn from the task's row when a DBOS step of the workflow ends and when it ends.
 * The workflow span is learnt from its first step (whose parent it is): a workflow only enqueued here starts a
 * span DBOS never ends, and that one must not be held.
 */
export class OperationSpans implements SpanProcessor {
  private readonly traced = new Map<string, Traced>();

  constructor(
    private readonly reads: TraceReads,
    private readonly tracer: () => Tracer,
    private readonly onError: (err: Error) => void,
  ) {}

  onStart(span: Span, parent: Context): void {
    const workflowId = span.attributes[WORKFLOW_ID];
    if (span.attributes[OPERATION_TYPE] !== "step" || typeof workflowId !== "string") return;
    const known = this.traced.get(workflowId);
    if (known) {
      if (known.operation) span.setAttributes(operationAttributes(known.operation));
      return;
    }
    const workflowSpan = sdkSpan(trace.getSpan(parent));
    if (!workflowSpan || !OPERATION_WORKFLOWS.has(String(workflowSpan.attributes[OPERATION_NAME]))) return;
    const t: Traced = { workflowSpan, operation: null, drawn: new Set(), since: null, chain: Promise.resolve(), readWaiting: false };
    this.traced.set(workflowId, t);
    t.chain = this.learnOperation(workflowId, t).catch((err: Error) => this.onError(err));
  }

  /**
   * Read the workflow's operation, onto its span. A run's workflow may begin before the run is stored (see
   * src/runs/first-advance.ts): then it is read again before each draw, which follows a step's end and so comes
   * before the workflow's own end (which records the step and its output first).
   */
  private async learnOperation(workflowId: string, t: Traced): Promise<void> {
    const op = await this.reads.operationOf(workflowId);
    t.operation = op;
    if (op && !t.workflowSpan.ended) t.workflowSpan.setAttributes(operationAttributes(op));
  }

  onEnd(span: ReadableSpan): void {
    const workflowId = span.attributes[WORKFLOW_ID];
    const t = typeof workflowId === "string" ? this.traced.get(workflowId) : undefined;
    if (!t || typeof workflowId !== "string") return;
    if (span.attributes[OPERATION_TYPE] === "step") {
      this.draw(workflowId, t);
    } else if (span === t.workflowSpan) {
      this.draw(workflowId, t);
      void t.chain.then(() => {
        if (this.traced.get(workflowId) === t) this.traced.delete(workflowId);
      });
    }
  }

  /** Done once every step span asked for so far is drawn (before a flush, or the end). */
  async settled(): Promise<void> {
    await Promise.all([...this.traced.values()].map((t) => t.chain));
  }

  async forceFlush(): Promise<void> {
    await this.settled();
  }

  async shutdown(): Promise<void> {
    await this.settled();
  }

  private draw(workflowId: string, t: Traced): void {
    if (t.readWaiting) return;
    t.readWaiting = true;
    t.chain = t.chain
      .then(async () => {
        t.readWaiting = false;
        if (!t.operation) await this.learnOperation(workflowId, t);
        const tasks = await this.reads.finishedTasks(workflowId, t.since && new Date(t.since.getTime() - REREAD_MS));
        for (const task of tasks) {
          const key = `${task.id}:${task.dispatch}`;
          if (t.drawn.has(key)) continue;
          t.drawn.add(key);
          this.stepSpan(t, task);
          if (!t.since || task.finishedAt > t.since) t.since = task.finishedAt;
        }
      })
      .catch((err: Error) => this.onError(err));
  }

  private stepSpan(t: Traced, task: FinishedTask): void {
    const status = task.result?.status ?? "unknown";
    const span = this.tracer().startSpan(
      `step ${task.stepId}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: task.createdAt,
        attributes: {
          ...(t.operation ? operationAttributes(t.operation) : {}),
          "shipyard.step.id": task.stepId,
          "shipyard.step.attempt": task.attempt,
          "shipyard.step.status": status,
          "shipyard.task.id": task.id,
          "shipyard.task.dispatch": task.dispatch,
          ...(task.runnerId ? { "shipyard.runner.id": task.runnerId } : {}),
          ...(typeof task.result?.exitCode === "number" ? { "process.exit.code": task.result.exitCode } : {}),
        },
      },
      trace.setSpan(ROOT_CONTEXT, t.workflowSpan),
    );
    if (task.assignedAt) span.addEvent("assigned", task.runnerId ? { "shipyard.runner.id": task.runnerId } : {}, task.assignedAt);
    span.setStatus(
      status === "succeeded" ? { code: SpanStatusCode.OK } : { code: SpanStatusCode.ERROR, message: task.result?.error ?? task.result?.reason ?? status },
    );
    span.end(task.finishedAt);
  }
}

/** The SDK's span behind an API span (the SDK's spans carry their name and attributes). */
function sdkSpan(span: ApiSpan | undefined): Span | null {
  return span !== undefined && "attributes" in span && "name" in span && "ended" in span ? (span as Span) : null;
}
