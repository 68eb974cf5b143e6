// The one format of a task id: `<operation>:<step>:<attempt>`. Ids are derived rather than random, so a
// re-executed workflow step finds the task it already created.

/** The id of attempt `attempt` of step `stepId` of operation `operationId`. */
export function taskId(operationId: string, stepId: string, attempt: number): string {
  return `${operationId}:${stepId}:${attempt}`;
}

/** The key of one dispatch of a task, `<task>#<dispatch>`, as the dispatch NOTIFY names it and servers track sends. */
export function dispatchKey(taskId: string, dispatch: number): string {
  return `${taskId}#${dispatch}`;
}

/** The step of a task id made by taskId for `operationId` (step ids may themselves contain `:`). */
export function stepIdOfTask(operationId: string, id: string): string {
  return id.slice(operationId.length + 1, id.lastIndexOf(":"));
}

/** The operation of a task id made by taskId (operation ids hold no `:`). */
export function operationOfTask(id: string): string {
  return id.slice(0, id.indexOf(":"));
}
