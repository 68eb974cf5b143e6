/** Durations in workflow files: a number of seconds or a string such as `500ms`, `30s`, `5m`, `1h30m`. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
// `ms` must be tried before `m`, otherwise `500ms` would read as 500 minutes followed by garbage.
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;

/** Converts a YAML duration to milliseconds, or returns null when it cannot be read. */
export function parseDuration(value: number | string): number | null {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : null;
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (text === "") return null;
  PART.lastIndex = 0;
  let total = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (!match) return null;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : null;
}

/** The hint appended to every duration error so the fix is obvious. */
export const DURATION_HINT = "use a number of seconds or a string like 500ms, 30s, 5m, 1h30m";
