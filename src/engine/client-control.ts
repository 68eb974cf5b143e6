// WorkflowControl for a process that runs no workflows (`shipyard server`): DBOS's client writes the same rows
// DBOS itself would, so the workers pick the workflows up from their queues and take the messages.
import { DBOSClient } from "@dbos-inc/dbos-sdk";
import { RUN_TOPIC, type RunMessage } from "../tasks/messages.ts";
import type { StartOptions, WorkflowControl } from "./control.ts";
import { APP_NAME, ENGINE_VERSION } from "./engine.ts";
import { RUNS_QUEUE } from "./queues.ts";

/** Starts, messages and cancels workflows through DBOS's client, for workers to run. */
export class ClientWorkflows implements WorkflowControl {
  private constructor(private readonly client: DBOSClient) {}

  /** A client on Shipyard's system database. */
  static async open(databaseUrl: string): Promise<ClientWorkflows> {
    return new ClientWorkflows(await DBOSClient.create({ systemDatabaseUrl: databaseUrl, applicationName: APP_NAME }));
  }

  async start(name: string, o: StartOptions, ...args: unknown[]): Promise<void> {
    // This process runs nothing itself: a workflow a worker would have started at once goes on the runs queue.
    await this.client.enqueue(
      {
        workflowName: name,
        queueName: o.queue ?? RUNS_QUEUE,
        workflowID: o.workflowId,
        appVersion: ENGINE_VERSION,
        ...(o.partitionKey !== undefined ? { queuePartitionKey: o.partitionKey } : {}),
      },
      ...args,
    );
  }

  send(workflowId: string, msg: RunMessage, idempotencyKey: string): Promise<void> {
    return this.client.send(workflowId, msg, RUN_TOPIC, idempotencyKey);
  }

  cancel(workflowId: string): Promise<void> {
    return this.client.cancelWorkflow(workflowId);
  }

  async status(workflowId: string): Promise<string | null> {
    return (await this.client.getWorkflow(workflowId))?.status ?? null;
  }

  /** Release the client's connections. */
  close(): Promise<void> {
    return this.client.destroy();
  }
}
