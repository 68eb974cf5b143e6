// Starting and messaging DBOS workflows by name. Services, routes and the runner gateway hold a WorkflowControl
// and never a workflow function, so a process that runs no workflows (a server) can do the same through DBOS's
// client (DBOSClient.enqueue / send / cancelWorkflow / getWorkflow take the same names and options).
import { DBOS } from "@dbos-inc/dbos-sdk";
import type { Pool } from "../db/pool.ts";
import { RUN_TOPIC, type RunMessage } from "../tasks/messages.ts";
import type { TaskHandoff } from "../tasks/handoff.ts";

/** Where and how a workflow is started. */
export interface StartOptions {
  /** The DBOS queue; none: started at once in this process (a child workflow). */
  queue?: string;
  /** The workflow id; a second start with the same id is a no-op. */
  workflowId?: string;
  /** The partition of a partitioned queue. */
  partitionKey?: string;
}

/** How code outside (and inside) workflows starts, messages, cancels and inspects them. */
export interface WorkflowControl {
  /** Start workflow `name` with `args`. */
  start(name: string, o: StartOptions, ...args: unknown[]): Promise<void>;
  /** Send a waiting workflow a message on the run topic; one per idempotency key. */
  send(workflowId: string, msg: RunMessage, idempotencyKey: string): Promise<void>;
  /** Cancel a workflow. */
  cancel(workflowId: string): Promise<void>;
  /** A workflow's DBOS status, or null when there is none. */
  status(workflowId: string): Promise<string | null>;
}

type WorkflowFn = (...args: unknown[]) => Promise<unknown>;

/** DBOS in this process: the workflows registered here, by name. */
export class LocalWorkflows implements WorkflowControl {
  private readonly registered = new Map<string, WorkflowFn>();

  /** Register `fn` with DBOS as workflow `name` (once per process, before DBOS.launch); returns the registered function. */
  register<Args extends unknown[], R>(name: string, fn: (...args: Args) => Promise<R>, config: { maxRecoveryAttempts?: number } = {}): (...args: Args) => Promise<R> {
    const workflow = DBOS.registerWorkflow(fn, { name, ...config });
    this.registered.set(name, workflow as unknown as WorkflowFn);
    return workflow;
  }

  async start(name: string, o: StartOptions, ...args: unknown[]): Promise<void> {
    const fn = this.registered.get(name);
    if (!fn) throw new Error(`workflow ${name} is not registered in this process`);
    await DBOS.startWorkflow(fn, {
      workflowID: o.workflowId,
      queueName: o.queue,
      enqueueOptions: o.partitionKey !== undefined ? { queuePartitionKey: o.partitionKey } : undefined,
    })(...args);
  }

  send(workflowId: string, msg: RunMessage, idempotencyKey: string): Promise<void> {
    return DBOS.send(workflowId, msg, RUN_TOPIC, idempotencyKey);
  }

  cancel(workflowId: string): Promise<void> {
    return DBOS.cancelWorkflow(workflowId);
  }

  async status(workflowId: string): Promise<string | null> {
    return (await DBOS.getWorkflowStatus(workflowId))?.status ?? null;
  }
}

/** What a service that starts, messages or cancels operations needs. */
export interface OperationDeps {
  pool: Pool;
  workflows: WorkflowControl;
  /** Hands tasks placed while starting an operation to this process's runner gateway, if it has one. */
  handoff?: TaskHandoff;
}
