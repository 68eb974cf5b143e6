/** How often one repeating message is let through. */
const REPEAT_WINDOW_MS = 60_000;
/** Distinct messages remembered; past this the oldest are forgotten (messages carrying ids never repeat). */
const MAX_REMEMBERED = 500;

/**
 * Lets a message through the first time, then at most once per window while it keeps coming, saying how many
 * were held back. Background loops that retry while the database is away (DBOS polls each queue several times
 * a second and reports every failed poll) would otherwise print thousands of identical lines.
 */
export class RepeatFilter {
  private readonly seen = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly windowMs = REPEAT_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether to log `message` now, and how many times it was held back since it last was. */
  check(message: string): { pass: boolean; held: number } {
    const t = this.now();
    const entry = this.seen.get(message);
    if (entry && t - entry.at < this.windowMs) {
      entry.held += 1;
      return { pass: false, held: entry.held };
    }
    const held = entry?.held ?? 0;
    this.seen.delete(message);
    this.seen.set(message, { at: t, held: 0 });
    if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
    return { pass: true, held };
  }
}
