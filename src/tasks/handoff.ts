// Handing a task placed on a runner to the runner gateway of the same process (`shipyard up`) at once, instead of
// after the NOTIFY round trip through PostgreSQL. The NOTIFY is sent all the same: it reaches a gateway in any
// other process, and a gateway that was handed the task finds it sent already.
import type { AssignedTask } from "./spec.ts";

/** A task an advance placed on a runner, as its gateway sends it. */
export type PlacedTask = AssignedTask & { runnerId: string };

/** Where a process's placements go: to its runner gateway, once one serves them (none: nowhere). */
export class TaskHandoff {
  private receiver: ((task: PlacedTask) => void) | null = null;

  /** The gateway of this process takes what is placed from now on. */
  serve(receiver: (task: PlacedTask) => void): void {
    this.receiver = receiver;
  }

  /** Tasks placed by a transaction that has committed (never before: a rollback would leave a task sent that does not exist). */
  placed(tasks: PlacedTask[]): void {
    if (this.receiver) for (const t of tasks) this.receiver(t);
  }
}
