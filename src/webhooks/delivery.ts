// The delivery workflow: one per delivery and round, attempts on the retry schedule with durable waits between.
import { DBOS } from "@dbos-inc/dbos-sdk";
import type { LocalWorkflows } from "../engine/control.ts";
import type { EngineResources } from "../engine/resources.ts";
import { MAX_RECOVERY_ATTEMPTS } from "../engine/queues.ts";
import { TRANSIENT_RETRIES } from "../engine/steps.ts";
import { attemptDelivery } from "./attempt.ts";
import { DEFAULT_RETRY_SCHEDULE, secondsBeforeAttempt } from "./retry-schedule.ts";

/** The DBOS name of the delivery workflow. */
export const WEBHOOK_DELIVERY_WORKFLOW = "shipyard.webhook-delivery";

/** The delivery workflow's id: the delivery's (its webhook-id) for the first round, so emitting twice starts one. */
export function deliveryWorkflowId(deliveryId: string, round: number): string {
  return round === 1 ? deliveryId : `${deliveryId}:round-${round}`;
}

/**
 * Register the delivery workflow: each attempt is a checkpointed step and each wait a DBOS.sleep, so a
 * restart resumes the schedule where it was (a wait of hours survives it) and never repeats a recorded attempt.
 */
export function registerWebhookDelivery(res: EngineResources, workflows: LocalWorkflows): void {
  const schedule = res.webhookRetrySchedule ?? DEFAULT_RETRY_SCHEDULE;
  async function deliverWebhook(deliveryId: string, round: number): Promise<string> {
    let wait = schedule[0] ?? 0;
    for (let attempt = 1; attempt <= schedule.length; attempt++) {
      if (wait > 0) await DBOS.sleep(wait * 1000);
      const last = attempt === schedule.length;
      const result = await DBOS.runStep(() => attemptDelivery(res, deliveryId, round, attempt, last), { name: `attempt-${attempt}`, ...TRANSIENT_RETRIES });
      if (result.outcome !== "retry") return result.outcome;
      wait = secondsBeforeAttempt(schedule, attempt, result.status, result.retryAfter);
    }
    return "failed";
  }
  workflows.register(WEBHOOK_DELIVERY_WORKFLOW, deliverWebhook, { maxRecoveryAttempts: MAX_RECOVERY_ATTEMPTS });
}
