// Workflow runs as a kind of operation (see src/engine/kinds.ts).
import type { OperationKindSpec } from "../engine/kinds.ts";
import { notFound } from "../domain/errors.ts";
import { cancelRun, getRun, type RunView } from "./service.ts";
import { RUN_SWEEP } from "./sweep.ts";

/** A run of a YAML workflow: `shipyard.run`, cancelled by a `cancel` message, swept every 5 s. */
export const runKind: OperationKindSpec<RunView> = {
  kind: "workflow",
  workflow: "shipyard.run",
  events: ["status", "step", "log", "complete", "usage", "budget_exceeded", "tool_call", "tool_result", "agent_message"],
  async view(db, workspaceId, id) {
    const run = await getRun(db, workspaceId, id);
    if (!run) throw notFound("run", id);
    return run;
  },
  cancel: cancelRun,
  sweep: RUN_SWEEP,
};
