// Handing a task placed on a runner to the runner gateway of the same process (`shipyard up`) at once, instead of
// after the NOTIFY round trip through PostgreSQL. The NOTIFY is sent all the same: it reaches a gateway in any
// other process, and a gateway that was handed the task finds it sent already.
import { dispatchKey } from "./task-id.ts";
import type { AssignedTask } from "./spec.ts";

/** A task an advance placed on a runner, as its gateway sends it. */
export type PlacedTask = AssignedTask & { runnerId: string };

const keyOf = (t: PlacedTask) => dispatchKey(t.message.taskId, t.message.dispatch);

/** Where a process's placements go: to its runner gateway, once one serves them (none: nowhere). */
export class TaskHandoff {
  private receiver: ((task: PlacedTask) => void) | null = null;
  private readonly committing = new Set<string>();

  /** The gateway of this process takes what is placed from now on. */
  serve(receiver: (task: PlacedTask) => void): void {
    this.receiver = receiver;
  }

  /**
   * Tasks placed by a transaction about to commit. Its dispatch NOTIFY may reach the gateway before the commit's
   * answer reaches the placer: the gateway leaves such a task to the handoff rather than re-reading the runner's tasks.
   */
  committingNow(tasks: PlacedTask[]): void {
    if (this.receiver) for (const t of tasks) this.committing.add(keyOf(t));
  }

  /**
   * A task a statement that commits as it answers is about to place as `dispatch` (see committingNow, which
   * names it only once placed); returns what ends the wait, once the task was handed over or not placed.
   */
  placing(taskId: string, dispatch: number): () => void {
    const key = dispatchKey(taskId, dispatch);
    if (this.receiver) this.committing.add(key);
    return () => this.committing.delete(key);
  }

  /** Whether the dispatch `<task>#<dispatch>` is on its way through this handoff. */
  handsOver(key: string): boolean {
    return this.committing.has(key);
  }

  /** Tasks placed by a transaction that has committed (never before: a rollback would leave a task sent that does not exist). */
  placed(tasks: PlacedTask[]): void {
    for (const t of tasks) {
      this.committing.delete(keyOf(t));
      this.receiver?.(t);
    }
  }

  /** Tasks of a transaction that did not commit (their NOTIFY is never sent). */
  abandoned(tasks: PlacedTask[]): void {
    for (const t of tasks) this.committing.delete(keyOf(t));
  }
}
