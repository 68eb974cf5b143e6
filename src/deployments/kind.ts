// Deployments as a kind of operation (see src/engine/kinds.ts).
import type { OperationKindSpec } from "../engine/kinds.ts";
import { registerDeadOperationSweep } from "../operations/end.ts";
import type { DeploymentView } from "./schemas.ts";
import { cancelDeployment, getDeployment } from "./service.ts";
import { DEPLOYMENT_WORKFLOW, registerDeploymentWorkflow } from "./workflow.ts";

/** A deployment of a project's generated files: one `shipyard.deployment` workflow (its id the deployment's), in line with the project's builds, swept every 10 s. */
export const deploymentKind: OperationKindSpec<DeploymentView> = {
  kind: "deployment",
  workflow: DEPLOYMENT_WORKFLOW,
  events: ["status", "phase", "log", "complete"],
  view: getDeployment,
  cancel: cancelDeployment,
  register(res, workflows) {
    registerDeploymentWorkflow(res, workflows);
    return registerDeadOperationSweep(res, workflows, "deployment");
  },
};
