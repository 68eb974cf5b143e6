// How checkpointed steps that touch the database ride out a blip: DBOS's own step retries, for errors that
// trying again may cure only (a lost connection, a database restarting, a rolled-back transaction).
import { Error as DBOSError } from "@dbos-inc/dbos-sdk";
import { isRetryable } from "../domain/errors.ts";

/** Step options: up to 8 attempts, 0.5 s apart and doubling (about a minute in all), for retryable errors only. */
export const TRANSIENT_RETRIES = {
  retriesAllowed: true,
  maxAttempts: 8,
  intervalSeconds: 0.5,
  backoffRate: 2,
  shouldRetry: isRetryable,
} as const;

/**
 * True when a step failed for a reason trying again might have cured: a retryable error, or one that outlasted
 * TRANSIENT_RETRIES (DBOS gives up with DBOSMaxStepRetriesError only when every attempt failed retryably).
 */
export function isOutage(err: unknown): boolean {
  return err instanceof DBOSError.DBOSMaxStepRetriesError || isRetryable(err);
}
