import { DBOS } from "@dbos-inc/dbos-sdk";
import type { LocalWorkflows } from "../engine/control.ts";
import { MAX_RECOVERY_ATTEMPTS } from "../engine/queues.ts";
import type { EngineResources } from "../engine/resources.ts";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import { checkPreview } from "../previews/check.ts";
import { runPublish, type PublishDeps } from "./phases.ts";

/** The DBOS name of the publish workflow (its id is the publish's). */
export const PUBLISH_WORKFLOW = "shipyard.publish";

/** The sequence's dependencies from the engine's resources: secrets read per environment, `wrangler` on the server's PATH, the real preview check. */
export function publishDeps(res: EngineResources, processEnv: NodeJS.ProcessEnv): PublishDeps {
  return {
    pool: res.pool,
    log: res.log,
    dataDir: res.dataDir,
    urls: res.previewUrls,
    targets: {
      getSecret: (workspaceId, name, environment) => res.secrets.get(workspaceId, name, environment),
      env: { PATH: processEnv.PATH, HOME: processEnv.HOME },
    },
    check: checkPreview,
  };
}

/**
 * Register the publish: validate → deploy → verify → promote/record (src/publishes/phases.ts), every step
 * checkpointed, so a crash resumes at the step it was in and production moves at most once.
 */
export function registerPublishWorkflow(res: EngineResources, workflows: LocalWorkflows, processEnv: NodeJS.ProcessEnv): void {
  const deps = publishDeps(res, processEnv);
  async function publishWorkflowImpl(publishId: string): Promise<string> {
    return runPublish(deps, (name, fn) => DBOS.runStep(fn, { name, ...TRANSIENT_RETRIES }), publishId);
  }
  workflows.register(PUBLISH_WORKFLOW, publishWorkflowImpl, { maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });
}
