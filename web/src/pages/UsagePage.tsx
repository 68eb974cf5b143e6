import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { api, get, query } from "../api/client.ts";
import type { Budgets, UsageGroup, UsageSeries } from "../api/types.ts";
import { StackedChart, type Series } from "../components/StackedChart.tsx";
import { ErrorNote } from "../components/Status.tsx";
import { validateUsageSearch, type UsageSearch } from "./usage-search.ts";

const usd = (v: number) => `$${v.toFixed(4)}`;
const tokens = (v: number) => v.toLocaleString();
const RANGES = { hour: "last 24 hours, per hour", day: "last 30 days, per day" } as const;
const METRICS = { cost: { label: "Cost", value: (g: UsageGroup) => g.costUsd, format: usd }, tokens: { label: "Tokens", value: (g: UsageGroup) => g.inputTokens + g.outputTokens, format: tokens } } as const;
type Bucket = NonNullable<UsageSearch["bucket"]>;
type By = NonNullable<UsageSearch["by"]>;
type Metric = NonNullable<UsageSearch["metric"]>;
const route = getRouteApi("/app/usage");

const keyName = (key: string | null, by: By) => key ?? (by === "project" ? "no project" : "unknown");
const bucketLabel = (start: string, bucket: Bucket) => (bucket === "day" ? start.slice(0, 10) : `${start.slice(5, 10)} ${start.slice(11, 16)}`);

/** The series of each key over the buckets, in the server's order (costliest first). */
function seriesOf(data: UsageSeries, metric: Metric): Series[] {
  return data.keys.map((key) => ({
    key: keyName(key, data.by),
    values: data.buckets.map((b) => {
      const g = b.groups.find((x) => x.key === key);
      return g ? METRICS[metric].value(g) : 0;
    }),
  }));
}

/** /usage: tokens and cost over time per model or project (stacked), the totals, and the daily budget against spend. */
export function UsagePage() {
  const queryClient = useQueryClient();
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/usage" });
  const { by = "model", bucket = "day", metric = "cost" } = search;
  const set = (patch: Partial<UsageSearch>) => void navigate({ search: (s: UsageSearch) => validateUsageSearch({ ...s, ...patch }) });
  const series = useQuery({ queryKey: ["usage-series", bucket, by], queryFn: () => get<UsageSeries>(`/usage/series${query({ bucket, by })}`) });
  const budgets = useQuery({ queryKey: ["budgets"], queryFn: () => get<Budgets>("/budgets") });
  const [limit, setLimit] = useState("");
  const save = useMutation({
    mutationFn: () => api<Budgets>("PUT", "/budgets", { workspaceDailyUsd: limit === "" ? null : Number(limit) }),
    onSuccess: (b) => queryClient.setQueryData(["budgets"], b),
  });
  const data = series.data;
  const daily = budgets.data?.workspaceDailyUsd ?? null;
  const spent = budgets.data?.spentTodayUsd ?? 0;
  // The daily budget is a line on the chart only where it means something: cost per day.
  const limitLine = daily !== null && bucket === "day" && metric === "cost" ? { value: daily, label: `daily budget ${usd(daily)}` } : null;
  return (
    <section aria-labelledby="usage-title">
      <h1 id="usage-title">Usage</h1>
      <ErrorNote error={series.error ?? budgets.error ?? save.error} />
      <form className="filters" aria-label="Usage chart" onSubmit={(e) => e.preventDefault()}>
        <label>
          Group by
          <select value={by} onChange={(e) => set({ by: e.target.value as By })}>
            <option value="model">model</option>
            <option value="project">project</option>
          </select>
        </label>
        <label>
          Range
          <select value={bucket} onChange={(e) => set({ bucket: e.target.value as Bucket })}>
            {Object.entries(RANGES).map(([b, label]) => (
              <option key={b} value={b}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Show
          <select value={metric} onChange={(e) => set({ metric: e.target.value as Metric })}>
            {Object.entries(METRICS).map(([m, { label }]) => (
              <option key={m} value={m}>
                {label.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
      </form>
      {data && (
        <StackedChart
          title={`${METRICS[metric].label} per ${by}, ${RANGES[bucket]}`}
          labels={data.buckets.map((b) => bucketLabel(b.start, bucket))}
          series={seriesOf(data, metric)}
          format={METRICS[metric].format}
          limit={limitLine}
        />
      )}
      {data && data.keys.length === 0 && <p className="hint">No model calls in this range.</p>}
      {data && <Totals data={data} />}
      <h2>Budget</h2>
      <p>
        Spent today: {usd(spent)} · daily limit: {daily === null ? "none" : usd(daily)}
        {daily !== null && daily > 0 && (
          <>
            {" "}
            <meter aria-label="Today's spend against the daily budget" min={0} max={daily} high={daily * 0.8} value={Math.min(spent, daily)} /> {Math.round((spent / daily) * 100)}%
          </>
        )}
      </p>
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <label htmlFor="daily">Daily limit (USD, empty for none)</label>
        <input id="daily" type="number" min="0" step="0.01" value={limit} onChange={(e) => setLimit(e.target.value)} />
        <button type="submit">Save</button>
      </form>
    </section>
  );
}

/** Each key's totals over the whole range. */
function Totals({ data }: { data: UsageSeries }) {
  const total = (key: string | null) => {
    const gs = data.buckets.flatMap((b) => b.groups.filter((g) => g.key === key));
    return { calls: gs.reduce((a, g) => a + g.calls, 0), input: gs.reduce((a, g) => a + g.inputTokens, 0), output: gs.reduce((a, g) => a + g.outputTokens, 0), cost: gs.reduce((a, g) => a + g.costUsd, 0) };
  };
  return (
    <table className="table">
      <caption>Totals per {data.by}</caption>
      <thead>
        <tr>
          <th scope="col">{data.by === "model" ? "Model" : "Project"}</th>
          <th scope="col">Calls</th>
          <th scope="col">Tokens in / out</th>
          <th scope="col">Cost</th>
        </tr>
      </thead>
      <tbody>
        {data.keys.map((key) => {
          const t = total(key);
          return (
            <tr key={key ?? "none"}>
              <td>{keyName(key, data.by)}</td>
              <td className="num">{t.calls}</td>
              <td className="num">
                {tokens(t.input)} / {tokens(t.output)}
              </td>
              <td className="num">{usd(t.cost)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
