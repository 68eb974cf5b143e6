import type { LogLine } from "./protocol.ts";

/** Lines of stderr an error quotes, each at most this long, all together at most TOTAL_CHARS. */
const LAST_LINES = 5;
const LINE_CHARS = 300;
const TOTAL_CHARS = 1000;
/** How an agent states why it failed (the built-in agent, the Claude Code mapper): a last stderr line starting so. */
const REASON_MARK = "✗ ";

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * What a step printed last on stderr, kept so that its error can say why it failed (the cause of
 * `exited with code 1` is nearly always the last thing it printed there, e.g. `getaddrinfo ENOTFOUND`).
 * An agent's own reason, when it is the last line, is quoted alone. Memory stays bounded whatever the step prints.
 */
export class StderrTail {
  private readonly last: string[] = [];

  /** Take note of lines as they stream (stdout lines are ignored). */
  add(lines: readonly LogLine[]): void {
    for (const l of lines) {
      if (l.stream !== "stderr") continue;
      const line = l.line.trimEnd();
      if (line.trim() === "") continue;
      // A reason line is kept whole (up to the total) since it may be quoted alone; others are clipped now.
      this.last.push(clip(line, line.startsWith(REASON_MARK) ? TOTAL_CHARS + REASON_MARK.length : LINE_CHARS));
      if (this.last.length > LAST_LINES) this.last.shift();
    }
  }

  /** The cause to quote: the agent's reason, else the last stderr lines (the newest when they are long); null when none. */
  cause(): string | null {
    const final = this.last.at(-1);
    if (final?.startsWith(REASON_MARK)) return clip(final.slice(REASON_MARK.length).trim(), TOTAL_CHARS);
    const kept: string[] = [];
    let chars = 0;
    for (let i = this.last.length - 1; i >= 0; i--) {
      chars += this.last[i]!.length + 1;
      if (chars > TOTAL_CHARS && kept.length > 0) break;
      kept.unshift(this.last[i]!);
    }
    return kept.length > 0 ? kept.join("\n") : null;
  }

  /** `error`, followed by the cause when there is one. */
  explain(error: string): string {
    const cause = this.cause();
    return cause === null ? error : `${error}: ${cause}`;
  }
}
