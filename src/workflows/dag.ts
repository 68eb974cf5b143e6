/** The `needs` graph between steps: cycle detection, ordering and what may start next. */
import type { StepStatus } from "./expression.ts";
import type { StepDef } from "./schema.ts";

type Node = Pick<StepDef, "id" | "needs">;

const FINISHED: ReadonlySet<StepStatus> = new Set<StepStatus>(["succeeded", "failed", "skipped", "cancelled"]);

/** True once a step can no longer change status, so the steps that need it may be considered. */
export function isFinished(status: StepStatus | undefined): boolean {
  return status !== undefined && FINISHED.has(status);
}

/** Returns a cycle as a list following `needs` edges with the first id repeated at the end, or null. Unknown needs are ignored. */
export function findCycle(steps: readonly Node[]): string[] | null {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, "visiting");
    stack.push(id);
    for (const need of byId.get(id)?.needs ?? []) {
      if (!byId.has(need)) continue;
      const seen = state.get(need);
      if (seen === "visiting") return [...stack.slice(stack.indexOf(need)), need];
      if (seen === undefined) {
        const cycle = visit(need);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(id, "done");
    return null;
  };
  // Document order makes the reported cycle deterministic: it starts at the earliest step involved.
  for (const step of steps) {
    if (state.has(step.id)) continue;
    const cycle = visit(step.id);
    if (cycle) return cycle;
  }
  return null;
}

/** Orders step ids so every step comes after its needs, keeping document order where the graph allows; throws on a cycle. */
export function topologicalOrder(steps: readonly Node[]): string[] {
  const ids = new Set(steps.map((step) => step.id));
  const placed = new Set<string>();
  const order: string[] = [];
  while (order.length < steps.length) {
    const ready = steps.find((step) => !placed.has(step.id) && step.needs.every((need) => placed.has(need) || !ids.has(need)));
    if (!ready) {
      const cycle = findCycle(steps);
      throw new Error(`cycle in needs: ${(cycle ?? []).join(" -> ")}`);
    }
    placed.add(ready.id);
    order.push(ready.id);
  }
  return order;
}

/** The ids of every step `id` depends on, directly or indirectly. */
export function transitiveNeeds(steps: readonly Node[], id: string): Set<string> {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const seen = new Set<string>();
  const pending = [...(byId.get(id)?.needs ?? [])];
  for (let need = pending.pop(); need !== undefined; need = pending.pop()) {
    if (seen.has(need)) continue;
    seen.add(need);
    pending.push(...(byId.get(need)?.needs ?? []));
  }
  return seen;
}

/**
 * The pending steps whose needs have all finished, in document order. The engine then decides with
 * shouldRun() whether each one actually runs or is skipped. A missing status counts as pending.
 */
export function nextActions(steps: readonly Node[], status: Readonly<Record<string, StepStatus>>): { start: string[] } {
  const statusOf = (id: string): StepStatus => (Object.prototype.hasOwnProperty.call(status, id) ? status[id] : undefined) ?? "pending";
  const start = steps
    .filter((step) => statusOf(step.id) === "pending" && step.needs.every((need) => isFinished(statusOf(need))))
    .map((step) => step.id);
  return { start };
}
