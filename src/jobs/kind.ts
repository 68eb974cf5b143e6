// Coding-agent jobs as a kind of operation (see src/engine/kinds.ts).
import type { OperationKindSpec } from "../engine/kinds.ts";
import { cancelJob } from "./cancel.ts";
import { getJob, type JobView } from "./queue.ts";
import { JOB_SWEEP } from "./sweep.ts";

/** A coding-agent job: one `shipyard.job` workflow per attempt (started by its dispatcher), swept every 10 s. */
export const jobKind: OperationKindSpec<JobView> = {
  kind: "job",
  workflow: "shipyard.job",
  events: ["status", "stage", "step", "log", "complete", "usage", "budget_exceeded", "tool_call", "tool_result", "agent_message"],
  view: getJob,
  async cancel(pool, workspaceId, id) {
    await cancelJob(pool, workspaceId, id);
    return getJob(pool, workspaceId, id);
  },
  sweep: JOB_SWEEP,
};
