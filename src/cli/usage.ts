import { Option, type Command } from "commander";
import type { UsageGroup } from "../agents/llm/usage.ts";
import { CliError } from "./client.ts";
import { client, out, printJson } from "./io.ts";
import { dim, table } from "./render.ts";
import { instantFromFlag } from "./time-range.ts";

interface Usage {
  groupBy: string;
  from: string | null;
  to: string | null;
  groups: UsageGroup[];
}

/** Register `usage` (the workspace's model tokens, cost and calls, grouped), `budget` and `default-model`. */
export function registerUsageCommands(program: Command): void {
  registerBudgetCommand(program);
  registerDefaultModelCommand(program);
  program
    .command("usage")
    .description("model usage of this workspace: tokens, cost and calls")
    .addOption(new Option("--group-by <what>", "group by").choices(["model", "provider", "operation", "project", "day"]).default("model"))
    .addOption(new Option("--by <what>", "with --bucket: one series per model or project").choices(["model", "project"]).default("model"))
    .addOption(new Option("--bucket <size>", "over time: tokens and cost per hour or UTC day").choices(["hour", "day"]))
    .option("--from <when>", "from this instant or UTC date (inclusive), or a span back from now (24h, 7d)")
    .option("--to <when>", "up to this instant or UTC date (exclusive)")
    .option("--json", "print JSON")
    .action(async (o: { groupBy: string; by: string; bucket?: string; from?: string; to?: string; json?: boolean }) => {
      const from = o.from === undefined ? undefined : instantFromFlag("--from", o.from);
      const to = o.to === undefined ? undefined : instantFromFlag("--to", o.to);
      if (o.bucket) return printSeries(await (await client()).request<UsageSeries>("GET", `/usage/series?${new URLSearchParams({ bucket: o.bucket, by: o.by, ...(from ? { since: from } : {}), ...(to ? { until: to } : {}) })}`), o.json);
      const query = new URLSearchParams({ groupBy: o.groupBy });
      if (from) query.set("from", from);
      if (to) query.set("to", to);
      const usage = await (await client()).request<Usage>("GET", `/usage?${query.toString()}`);
      if (o.json) return printJson(usage);
      if (usage.groups.length === 0) return out(dim("no model usage"));
      const total = usage.groups.reduce(
        (t, g) => ({ calls: t.calls + g.calls, input: t.input + g.inputTokens, output: t.output + g.outputTokens, cached: t.cached + g.cachedTokens, cost: t.cost + g.costUsd }),
        { calls: 0, input: 0, output: 0, cached: 0, cost: 0 },
      );
      const usd = (v: number) => `$${v.toFixed(4)}`;
      out(
        table([
          [usage.groupBy.toUpperCase(), "CALLS", "INPUT", "OUTPUT", "CACHED", "COST"].map(dim),
          ...usage.groups.map((g) => [
            g.key ?? "(none)",
            String(g.calls),
            String(g.inputTokens),
            String(g.outputTokens),
            String(g.cachedTokens),
            usd(g.costUsd) + (g.unpricedCalls > 0 ? dim(` (+${g.unpricedCalls} unpriced)`) : ""),
          ]),
          [dim("total"), String(total.calls), String(total.input), String(total.output), String(total.cached), usd(total.cost)],
        ]),
      );
    });
}

interface UsageSeries {
  bucket: string;
  by: string;
  buckets: { start: string; groups: UsageGroup[] }[];
}

/** A series as one line per bucket and key that had usage (empty buckets are left out of the table). */
function printSeries(series: UsageSeries, json: boolean | undefined): void {
  if (json) return printJson(series);
  const rows = series.buckets.flatMap((b) => b.groups.map((g) => [series.bucket === "day" ? b.start.slice(0, 10) : b.start.slice(0, 16).replace("T", " "), g.key ?? "(none)", String(g.calls), String(g.inputTokens), String(g.outputTokens), `$${g.costUsd.toFixed(4)}`]));
  if (rows.length === 0) return out(dim("no model usage"));
  out(table([[series.bucket.toUpperCase(), series.by.toUpperCase(), "CALLS", "INPUT", "OUTPUT", "COST"].map(dim), ...rows]));
}

/** Register `budget`: the workspace's daily model budget, or one run's or job's. */
function registerBudgetCommand(program: Command): void {
  program
    .command("budget")
    .description("show or set the workspace's daily model budget (USD), or with --operation a run's or job's")
    .argument("[usd]", "the new limit in USD, or `none` to remove it; without it the budget is shown")
    .option("--operation <id>", "a run or job id: set its own budget instead")
    .option("--json", "print JSON")
    .action(async (usd: string | undefined, o: { operation?: string; json?: boolean }) => {
      const limit = usd === undefined ? undefined : usd === "none" ? null : Number(usd);
      if (limit !== undefined && limit !== null && (!Number.isFinite(limit) || limit < 0)) {
        throw new CliError(`the budget must be a number of USD (0 or more) or "none", got ${JSON.stringify(usd)}`);
      }
      const api = await client();
      if (o.operation) {
        if (limit === undefined) throw new CliError("give the run's or job's budget in USD (or `none`)");
        const b = await api.request<{ operationId: string; limitUsd: number | null; spentUsd: number }>("PUT", `/operations/${encodeURIComponent(o.operation)}/budget`, { limitUsd: limit });
        return o.json ? printJson(b) : out(`${b.operationId}: budget ${b.limitUsd === null ? "none" : `$${b.limitUsd}`}, spent $${b.spentUsd.toFixed(4)}`);
      }
      const b =
        limit === undefined
          ? await api.request<{ workspaceDailyUsd: number | null; spentTodayUsd: number }>("GET", "/budgets")
          : await api.request<{ workspaceDailyUsd: number | null; spentTodayUsd: number }>("PUT", "/budgets", { workspaceDailyUsd: limit });
      if (o.json) return printJson(b);
      out(`daily budget ${b.workspaceDailyUsd === null ? "none" : `$${b.workspaceDailyUsd}`}, spent today $${b.spentTodayUsd.toFixed(4)}`);
    });
}

/** Register `default-model`: the workspace's model for llm and agent steps and agent jobs that name none. */
function registerDefaultModelCommand(program: Command): void {
  program
    .command("default-model")
    .description("show or set the workspace's default model (provider:model) for llm and agent steps and jobs that name none")
    .argument("[spec]", "provider:model, or `none` to remove the default")
    .option("--json", "print JSON")
    .action(async (spec: string | undefined, o: { json?: boolean }) => {
      const api = await client();
      const settings =
        spec === undefined
          ? await api.request<{ defaultModel: string | null }>("GET", "/settings")
          : await api.request<{ defaultModel: string | null }>("PUT", "/settings", { defaultModel: spec === "none" ? null : spec });
      if (o.json) return printJson(settings);
      out(`default model: ${settings.defaultModel ?? "none"}`);
    });
}
