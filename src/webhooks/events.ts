// The closed list of webhook event types. Builds, runs and jobs emit them; an endpoint subscribes to some (or `*`).
import { z } from "zod";

/** Every event type a webhook endpoint can receive. */
export const WEBHOOK_EVENT_TYPES = [
  "build.started",
  "build.plan_generated",
  "build.task_started",
  "build.task_completed",
  "build.deploy_started",
  "build.completed",
  "build.failed",
  "deployment.started",
  "deployment.completed",
  "deployment.failed",
  "run.completed",
  "run.failed",
  "job.completed",
  "job.failed",
] as const;

/** One event type. */
export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = z.infer<typeof WebhookEventTypeSchema>;

/** What an endpoint subscribes to: an event type, or `*` for all of them. */
export const WebhookSubscriptionSchema = z.enum([...WEBHOOK_EVENT_TYPES, "*"]);
export type WebhookSubscription = z.infer<typeof WebhookSubscriptionSchema>;
