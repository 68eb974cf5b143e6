// Coding-agent jobs as a kind of operation (see src/engine/kinds.ts).
import type { OperationKindSpec } from "../engine/kinds.ts";
import { cancelJob } from "./cancel.ts";
import { JOB_WORKFLOW, registerDispatcher } from "./dispatch.ts";
import { getJob, type JobView } from "./queue.ts";
import { registerJobSweep } from "./sweep.ts";
import { registerJobWorkflow } from "./workflow.ts";

/** A coding-agent job: one `shipyard.job` workflow per attempt (started by its runner's dispatcher), swept every 10 s. */
export const jobKind: OperationKindSpec<JobView> = {
  kind: "job",
  workflow: JOB_WORKFLOW,
  events: ["status", "stage", "step", "log", "complete", "usage", "budget_exceeded", "tool_call", "tool_result", "agent_message"],
  view: getJob,
  async cancel(deps, workspaceId, id) {
    await cancelJob(deps, workspaceId, id);
    return getJob(deps.pool, workspaceId, id);
  },
  register(res, workflows) {
    registerDispatcher(res, workflows);
    registerJobWorkflow(res, workflows);
    return registerJobSweep(res, workflows);
  },
};
