// Builds as a kind of operation (see src/engine/kinds.ts).
import type { OperationKindSpec } from "../engine/kinds.ts";
import type { BuildView } from "./schemas.ts";
import { cancelBuild, getBuild } from "./service.ts";
import { registerDeadOperationSweep } from "../operations/end.ts";
import { BUILD_WORKFLOW, registerBuildWorkflow } from "./workflow.ts";

/** A prompt-to-preview build: one `shipyard.build` workflow (its id the build's), one at a time per project, swept every 10 s. */
export const buildKind: OperationKindSpec<BuildView> = {
  kind: "build",
  workflow: BUILD_WORKFLOW,
  events: ["status", "phase", "plan", "task_started", "task_completed", "step", "log", "artifact", "complete", "usage", "budget_exceeded", "tool_call", "tool_result", "agent_message"],
  view: getBuild,
  cancel: cancelBuild,
  register(res, workflows) {
    registerBuildWorkflow(res, workflows);
    return registerDeadOperationSweep(res, workflows, "build");
  },
};
