// Text that crosses into PostgreSQL, an environment variable or a file name must be storable as sent: PostgreSQL
// text and jsonb refuse NUL (and jsonb an escaped unpaired surrogate), environment strings end at NUL, and an
// unpaired surrogate is written as U+FFFD, so the value stored would not be the value given.

/** Why `s` cannot be kept exactly as given (a NUL, an unpaired surrogate), or null when it can. */
export function textProblem(s: string): string | null {
  if (s.includes("\0")) return "contains a NUL character (U+0000)";
  // With the `u` flag a surrogate pair is one code point, so \p{Cs} matches only unpaired halves.
  if (/\p{Cs}/u.test(s)) return "contains an unpaired surrogate (not well-formed Unicode)";
  return null;
}

/** Keys that would reach an object's prototype instead of becoming its own property. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);
