import type { ApiEvent } from "./client.ts";

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
export const dim = paint(2);
export const bold = paint(1);

const STEP_MARK: Record<string, string> = {
  queued: dim("…"),
  running: yellow("●"),
  succeeded: green("✓"),
  failed: red("✗"),
  skipped: dim("○"),
  cancelled: red("⊘"),
  retrying: yellow("↻"),
};

/** Colour a run or step status word. */
export function statusWord(status: string): string {
  if (status === "succeeded") return green(status);
  if (status === "failed" || status === "cancelled") return red(status);
  if (status === "running") return yellow(status);
  return dim(status);
}

/** One human line per event (null for events not worth a line). */
export function renderEvent(e: ApiEvent): string | null {
  const p = e.payload;
  switch (e.type) {
    case "log":
      return `  ${dim(String(p.stepId).padEnd(12))} ${p.stream === "stderr" ? red("│") : dim("│")} ${String(p.line)}`;
    case "step": {
      const status = String(p.status);
      const bits = [`${STEP_MARK[status] ?? "·"} ${bold(String(p.stepId))} ${statusWord(status)}`];
      if (typeof p.attempt === "number" && p.attempt > 1) bits.push(dim(`attempt ${p.attempt}`));
      if (typeof p.durationMs === "number") bits.push(dim(`${(p.durationMs / 1000).toFixed(2)}s`));
      if (p.error) bits.push(red(String(p.error)));
      if (p.reason && status === "skipped") bits.push(dim(String(p.reason)));
      if (status === "retrying") bits.push(dim(`next attempt in ${Number(p.delayMs ?? 0) / 1000}s`));
      return bits.join("  ");
    }
    case "stage": {
      const status = String(p.status);
      const mark = status === "succeeded" ? green("✓") : status === "failed" ? red("✗") : yellow("▸");
      return `${mark} ${bold(String(p.stage))} ${statusWord(status === "started" ? "running" : status)}${p.error ? `  ${red(String(p.error))}` : ""}${p.prUrl ? `  ${String(p.prUrl)}` : ""}`;
    }
    case "status":
      return p.status === "pending" ? null : dim(`run ${String(p.status)}`);
    case "complete": {
      const outputs = (p.outputs ?? {}) as Record<string, string>;
      const what = e.operationId.startsWith("job_") ? "job" : "run";
      const lines = [`${p.status === "succeeded" ? green("✓") : red("✗")} ${what} ${statusWord(String(p.status))}${p.error ? `: ${String(p.error)}` : ""}`];
      if (p.prUrl) lines.push(`  ${bold("pull request")} ${String(p.prUrl)}`);
      else if (p.branch && p.status === "succeeded") lines.push(`  ${bold("branch")} ${String(p.branch)} ${dim(String(p.commit ?? ""))}`);
      for (const [k, v] of Object.entries(outputs)) lines.push(`  ${bold(k)} = ${v}`);
      return lines.join("\n");
    }
    case "tool_call":
    case "tool_result":
    case "agent_message": {
      const failed = e.type === "tool_result" && p.ok === false;
      return `  ${dim(String(p.stepId).padEnd(12))} ${failed ? red("│") : dim("│")} ${e.type === "agent_message" ? bold(String(p.line)) : String(p.line)}`;
    }
    case "usage": {
      const cost = p.priced === false ? "unpriced" : `$${Number(p.costUsd ?? 0).toFixed(6)}`;
      return `  ${dim(String(p.stepId).padEnd(12))} ${dim(`$ ${String(p.provider)}:${String(p.model)} ${Number(p.inputTokens)} in / ${Number(p.outputTokens)} out tokens, ${cost}`)}`;
    }
    case "budget_exceeded": {
      const what = p.budget === "step" ? "step budget" : p.budget === "operation" ? "operation budget" : "workspace daily budget";
      const usd = (v: unknown) => `$${Number(v ?? 0).toFixed(6)}`;
      return `${red("$")} ${bold(String(p.stepId ?? ""))} ${red(`${what} exceeded`)}  ${dim(`spent ${usd(p.spentUsd)} + estimated ${usd(p.estimatedCostUsd)} > limit ${usd(p.limitUsd)}`)}`;
    }
    default:
      return null;
  }
}

/** A fixed-width table for list commands. */
export function table(rows: string[][]): string {
  // eslint-disable-next-line no-control-regex
  const width = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => width(r[i] ?? "")))) ?? [];
  return rows.map((r) => r.map((c, i) => c + " ".repeat(Math.max(0, (widths[i] ?? 0) - width(c)))).join("  ").trimEnd()).join("\n");
}
