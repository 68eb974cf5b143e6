// How the CLI takes a point in time: an ISO 8601 instant or date as the API does, or a span back from now
// (`30m`, `1h`, `7d`, `2w`) as a person types it.
import { CliError } from "./client.ts";

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const SPAN = /^(\d{1,6})([smhdw])$/;
const ISO = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/;

/** An ISO instant as the server takes it, from `value` (ISO, or a span back from `now`); `flag` names it in errors. */
export function instantFromFlag(flag: string, value: string, now = new Date()): string {
  const span = SPAN.exec(value);
  if (span) return new Date(now.getTime() - Number(span[1]) * UNIT_MS[span[2] as keyof typeof UNIT_MS]).toISOString();
  if (ISO.test(value) && !Number.isNaN(Date.parse(value))) return value.length === 10 ? value : new Date(value).toISOString();
  throw new CliError(`${flag} expects an ISO 8601 time (2026-12-01T10:00:00Z), a date (2026-12-01) or a span back from now (30m, 1h, 7d, 2w), got "${value}"`);
}
