// The webhook events of a build (build.started ... build.completed / build.failed), emitted from its workflow
// at the points its own events mark; each keyed by the build and the moment, so a replay sends nothing twice.
import type { EngineResources } from "../engine/resources.ts";
import type { WebhookEventType } from "../webhooks/events.ts";
import { emitWebhookEvent } from "../webhooks/service.ts";
import type { BuildContext } from "./phases.ts";

type BuildEventType = Extract<WebhookEventType, `build.${string}`>;

/** Emit `type` for the build with `data` (besides the build's and project's ids); `moment` tells repeated types apart (a task's number). */
export function announceBuild(res: EngineResources, ctx: BuildContext, type: BuildEventType, data: Record<string, unknown> = {}, moment = ""): Promise<string[]> {
  return emitWebhookEvent(res, {
    workspaceId: ctx.workspaceId,
    type,
    key: `${ctx.buildId}:${type}${moment ? `:${moment}` : ""}`,
    data: { buildId: ctx.buildId, projectId: ctx.projectId, prompt: ctx.prompt, ...(ctx.blueprint ? { blueprintId: ctx.blueprint.id, specPath: ctx.blueprint.specPath } : {}), ...data },
  });
}
