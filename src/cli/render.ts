import { kindOfId, type OperationKind } from "../domain/operation-kinds.ts";
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

/** What the CLI calls an operation of `kind` (a workflow's is a run). */
const kindWord = (kind: OperationKind | null): string => (kind === null || kind === "workflow" ? "run" : kind);

/** One human line per event (null for events not worth a line, or of a type this CLI does not know). */
export function renderEvent(e: ApiEvent): string | null {
  switch (e.type) {
    case "log": {
      const p = e.payload;
      return `  ${dim(p.stepId.padEnd(12))} ${p.stream === "stderr" ? red("│") : dim("│")} ${p.line}`;
    }
    case "step": {
      const p = e.payload;
      const bits = [`${STEP_MARK[p.status] ?? "·"} ${bold(p.stepId)} ${statusWord(p.status)}`];
      if (p.attempt > 1) bits.push(dim(`attempt ${p.attempt}`));
      if (p.durationMs !== undefined) bits.push(dim(`${(p.durationMs / 1000).toFixed(2)}s`));
      if (p.error) bits.push(red(p.error));
      if (p.reason && p.status === "skipped") bits.push(dim(p.reason));
      if (p.status === "retrying") bits.push(dim(`next attempt in ${(p.delayMs ?? 0) / 1000}s`));
      return bits.join("  ");
    }
    case "stage": {
      const p = e.payload;
      const mark = p.status === "succeeded" ? green("✓") : p.status === "failed" ? red("✗") : yellow("▸");
      return `${mark} ${bold(p.stage)} ${statusWord(p.status === "started" ? "running" : p.status)}${p.error ? `  ${red(p.error)}` : ""}${p.prUrl ? `  ${p.prUrl}` : ""}`;
    }
    case "status": {
      const kind = kindOfId(e.operationId);
      return e.payload.status === "pending" ? null : dim(`${kindWord(kind)} ${e.payload.status}`);
    }
    case "complete": {
      const p = e.payload;
      const kind = kindOfId(e.operationId);
      const what = kindWord(kind);
      const lines = [`${p.status === "succeeded" ? green("✓") : red("✗")} ${what} ${statusWord(p.status)}${p.error ? `: ${p.error}` : ""}`];
      if (p.previewUrl) lines.push(`  ${bold("preview")} ${p.previewUrl}${p.version ? dim(`  version ${p.version}`) : ""}${p.commit ? dim(`  commit ${p.commit.slice(0, 12)}`) : ""}`);
      if (p.deploymentUrl) lines.push(`  ${bold("url")} ${p.deploymentUrl}`);
      if (p.prUrl) lines.push(`  ${bold("pull request")} ${p.prUrl}`);
      else if (p.branch && p.status === "succeeded") lines.push(`  ${bold("branch")} ${p.branch} ${dim(p.commit ?? "")}`);
      for (const [k, v] of Object.entries(p.outputs ?? {})) lines.push(`  ${bold(k)} = ${v}`);
      return lines.join("\n");
    }
    case "tool_call":
    case "agent_message":
      return `  ${dim(e.payload.stepId.padEnd(12))} ${dim("│")} ${e.type === "agent_message" ? bold(e.payload.line) : e.payload.line}`;
    case "tool_result":
      return `  ${dim(e.payload.stepId.padEnd(12))} ${e.payload.ok ? dim("│") : red("│")} ${e.payload.line}`;
    case "usage": {
      const p = e.payload;
      const cost = p.priced === false ? "unpriced" : `$${p.costUsd.toFixed(6)}`;
      return `  ${dim((p.stepId ?? "").padEnd(12))} ${dim(`$ ${p.provider}:${p.model} ${p.inputTokens} in / ${p.outputTokens} out tokens, ${cost}`)}`;
    }
    case "budget_exceeded": {
      const p = e.payload;
      const what = p.budget === "step" ? "step budget" : p.budget === "operation" ? "operation budget" : "workspace daily budget";
      const usd = (v: number) => `$${v.toFixed(6)}`;
      return `${red("$")} ${bold(p.stepId ?? "")} ${red(`${what} exceeded`)}  ${dim(`spent ${usd(p.spentUsd)} + estimated ${usd(p.estimatedCostUsd)} > limit ${usd(p.limitUsd)}`)}`;
    }
    case "phase": {
      const p = e.payload;
      const mark = p.status === "complete" ? green("✓") : p.status === "failed" ? red("✗") : yellow("▸");
      const attempt = p.attempt && p.attempt > 1 ? dim(` (try ${p.attempt})`) : "";
      const detail = p.error ? `  ${red(p.error.split("\n")[0] ?? "")}` : p.message ? `  ${dim(p.message)}` : "";
      return `${mark} ${bold(p.phase)}${attempt} ${p.status === "in_progress" ? statusWord("running") : statusWord(p.status === "complete" ? "succeeded" : "failed")}${detail}`;
    }
    case "plan":
      return e.payload.tasks.map((t, i) => `  ${dim(`${i + 1}.`)} ${t.title}`).join("\n");
    case "task_started":
      return `  ${yellow("▸")} task ${e.payload.index}/${e.payload.total} ${bold(e.payload.title)}`;
    case "task_completed":
      return `  ${green("✓")} task ${e.payload.index}/${e.payload.total}${e.payload.summary ? `  ${dim(e.payload.summary)}` : ""}`;
    case "artifact":
      return `  ${dim(`${e.payload.name}: ${e.payload.url}`)}`;
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
