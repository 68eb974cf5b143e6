// Workflow runs as a kind of operation (see src/engine/kinds.ts).
import type { OperationKindSpec } from "../engine/kinds.ts";
import { notFound } from "../domain/errors.ts";
import { registerLlmTaskWorkflow } from "../models/llm-task.ts";
import { cancelRun, getRun, type RunView } from "./service.ts";
import { registerRunSweep } from "./sweep.ts";
import { registerHttpTaskWorkflow } from "./http-task.ts";
import { registerWaitTaskWorkflow } from "./wait-task.ts";
import { registerRunWorkflow, RUN_WORKFLOW } from "./workflow.ts";

/** A run of a YAML workflow: `shipyard.run.2` (with a child `shipyard.llm-task`, `shipyard.http-task` or `shipyard.wait-task` per server-run step), cancelled by a `cancel` message, swept every 5 s. */
export const runKind: OperationKindSpec<RunView> = {
  kind: "workflow",
  workflow: RUN_WORKFLOW,
  events: ["status", "step", "log", "complete", "usage", "budget_exceeded", "tool_call", "tool_result", "agent_message"],
  async view(db, workspaceId, id) {
    const run = await getRun(db, workspaceId, id);
    if (!run) throw notFound("run", id);
    return run;
  },
  cancel: cancelRun,
  register(res, workflows) {
    registerLlmTaskWorkflow(res, workflows);
    registerHttpTaskWorkflow(res, workflows);
    registerWaitTaskWorkflow(res, workflows);
    registerRunWorkflow(res, workflows);
    return registerRunSweep(res, workflows);
  },
};
