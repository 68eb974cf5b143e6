// Publishes as a kind of operation (see src/engine/kinds.ts).
import type { OperationKindSpec } from "../engine/kinds.ts";
import type { PublishView } from "./schemas.ts";
import { cancelPublish, getPublish } from "./service.ts";
import { registerDeadOperationSweep } from "../operations/end.ts";
import { PUBLISH_WORKFLOW, registerPublishWorkflow } from "./workflow.ts";

/** A publish of one environment to another, verified before it promotes: one `shipyard.publish` workflow (its id the publish's), swept every 10 s. */
export const publishKind: OperationKindSpec<PublishView> = {
  kind: "publish",
  workflow: PUBLISH_WORKFLOW,
  events: ["status", "phase", "artifact", "complete"],
  view: getPublish,
  cancel: cancelPublish,
  register(res, workflows) {
    // The server's environment is read once here, where the kind is wired: wrangler's PATH and HOME.
    registerPublishWorkflow(res, workflows, process.env);
    return registerDeadOperationSweep(res, workflows, "publish", { missingWorkflow: true });
  },
};
