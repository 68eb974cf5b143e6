import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, get } from "../api/client.ts";
import type { Budgets, Usage } from "../api/types.ts";
import { BarChart } from "../components/BarChart.tsx";
import { ErrorNote } from "../components/Status.tsx";

const usd = (v: number) => `$${v.toFixed(4)}`;
const tokens = (v: number) => v.toLocaleString();
const DAYS = 30;

/** /usage: tokens and cost per day, by model and by project, and the workspace's daily budget. */
export function UsagePage() {
  const queryClient = useQueryClient();
  const from = new Date(Date.now() - DAYS * 86_400_000).toISOString().slice(0, 10);
  const byDay = useQuery({ queryKey: ["usage", "day", from], queryFn: () => get<Usage>(`/usage?groupBy=day&from=${from}`) });
  const byModel = useQuery({ queryKey: ["usage", "model", from], queryFn: () => get<Usage>(`/usage?groupBy=model&from=${from}`) });
  const byProject = useQuery({ queryKey: ["usage", "project", from], queryFn: () => get<Usage>(`/usage?groupBy=project&from=${from}`) });
  const budgets = useQuery({ queryKey: ["budgets"], queryFn: () => get<Budgets>("/budgets") });
  const [limit, setLimit] = useState("");
  const save = useMutation({
    mutationFn: () => api<Budgets>("PUT", "/budgets", { workspaceDailyUsd: limit === "" ? null : Number(limit) }),
    onSuccess: (b) => queryClient.setQueryData(["budgets"], b),
  });
  const days = byDay.data?.groups ?? [];
  return (
    <section aria-labelledby="usage-title">
      <h1 id="usage-title">Usage</h1>
      <ErrorNote error={byDay.error ?? budgets.error ?? save.error} />
      <div className="two-col">
        <BarChart title={`Cost per day (last ${DAYS} days)`} bars={days.map((g) => ({ label: g.key ?? "?", value: g.costUsd }))} format={usd} />
        <BarChart title="Tokens per day" bars={days.map((g) => ({ label: g.key ?? "?", value: g.inputTokens + g.outputTokens }))} format={tokens} />
      </div>
      <div className="two-col">
        <Breakdown title="By model" usage={byModel.data} />
        <Breakdown title="By project" usage={byProject.data} />
      </div>
      <h2>Budget</h2>
      <p>
        Spent today: {usd(budgets.data?.spentTodayUsd ?? 0)} · daily limit: {budgets.data?.workspaceDailyUsd == null ? "none" : usd(budgets.data.workspaceDailyUsd)}
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

function Breakdown({ title, usage }: { title: string; usage: Usage | undefined }) {
  return (
    <table className="table">
      <caption>{title}</caption>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Calls</th>
          <th scope="col">Tokens in / out</th>
          <th scope="col">Cost</th>
        </tr>
      </thead>
      <tbody>
        {usage?.groups.map((g) => (
          <tr key={g.key ?? "none"}>
            <td>{g.key ?? "—"}</td>
            <td className="num">{g.calls}</td>
            <td className="num">
              {tokens(g.inputTokens)} / {tokens(g.outputTokens)}
            </td>
            <td className="num">{usd(g.costUsd)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
