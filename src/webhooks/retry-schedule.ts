// When a delivery is attempted: the Standard Webhooks schedule, and how a receiver's Retry-After stretches it.

/** Seconds to wait before each attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (the spec's). */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];

/** SHIPYARD_WEBHOOK_RETRY_SCHEDULE (comma-separated seconds, e.g. `0,1,1`) as a schedule; throws on anything else. */
export function parseRetrySchedule(text: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  const seconds = parts.map(Number);
  if (parts.length === 0 || parts.some((p) => p === "") || seconds.some((s) => !Number.isFinite(s) || s < 0 || s > 7 * 86400)) {
    throw new TypeError("a retry schedule is comma-separated seconds between 0 and 604800, e.g. 0,5,300");
  }
  return seconds;
}

/** Statuses after which a receiver's Retry-After is honoured (slow down). */
const SLOW_DOWN = new Set([429, 503]);

/** The longest Retry-After honoured (the spec schedule's longest wait): a receiver cannot park a delivery for ever. */
export const MAX_RETRY_AFTER_SECONDS = 10 * 3600;

/**
 * Seconds until attempt `next` (0-based) after a failed one: the schedule's, or the receiver's Retry-After
 * (on 429/503) when that is longer, up to MAX_RETRY_AFTER_SECONDS.
 */
export function secondsBeforeAttempt(schedule: readonly number[], next: number, status: number | null, retryAfter: string | null, now = Date.now()): number {
  const planned = schedule[next] ?? 0;
  if (status === null || !SLOW_DOWN.has(status) || retryAfter === null) return planned;
  const asked = retryAfterSeconds(retryAfter, now);
  if (asked === null || asked <= planned) return planned;
  return Math.min(asked, MAX_RETRY_AFTER_SECONDS);
}

/** A Retry-After header (delay-seconds or an HTTP date) in seconds from `now`; null when it is neither. */
export function retryAfterSeconds(value: string, now = Date.now()): number | null {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, (at - now) / 1000);
}
