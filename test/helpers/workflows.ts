// A WorkflowControl for tests without an engine: it records what would have been started, sent or cancelled.
import type { StartOptions, WorkflowControl } from "../../src/engine/control.ts";
import type { RunMessage } from "../../src/tasks/messages.ts";

/** What a RecordingWorkflows was asked to do, in order. */
export type WorkflowCall =
  | { op: "start"; name: string; options: StartOptions; args: unknown[] }
  | { op: "send"; workflowId: string; msg: RunMessage; key: string }
  | { op: "cancel"; workflowId: string };

/** Records calls; every workflow it is asked about has no status (none exists). */
export class RecordingWorkflows implements WorkflowControl {
  readonly calls: WorkflowCall[] = [];

  async start(name: string, options: StartOptions, ...args: unknown[]): Promise<void> {
    this.calls.push({ op: "start", name, options, args });
  }

  async send(workflowId: string, msg: RunMessage, key: string): Promise<void> {
    this.calls.push({ op: "send", workflowId, msg, key });
  }

  async cancel(workflowId: string): Promise<void> {
    this.calls.push({ op: "cancel", workflowId });
  }

  async status(): Promise<string | null> {
    return null;
  }
}
