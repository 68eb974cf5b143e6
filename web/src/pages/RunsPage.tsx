import { useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { useCallback, useMemo } from "react";
import { get, query } from "../api/client.ts";
import { duration, FINAL, useOperationEvents, when } from "../api/hooks.ts";
import type { OperationEvent, RunSummary } from "../api/types.ts";
import { ErrorNote, Status } from "../components/Status.tsx";

/** The filters of the runs list, kept in the URL so a filtered list can be shared. */
export interface RunsSearch {
  status?: string;
  workflow?: string;
  within?: string;
}

const STATUSES = ["pending", "running", "succeeded", "failed", "cancelled"];
const WITHIN: Record<string, number> = { "1h": 3600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 };
const route = getRouteApi("/app/runs");

/** /runs: newest first, filtered by status, workflow name and time; active runs update live. */
export function RunsPage() {
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/runs" });
  const queryClient = useQueryClient();
  const runs = useQuery({ queryKey: ["runs", search.status ?? ""], queryFn: () => get<{ runs: RunSummary[] }>(`/runs${query({ status: search.status, limit: 200 })}`) });
  const shown = useMemo(() => {
    const since = search.within && WITHIN[search.within] ? Date.now() - WITHIN[search.within]! : 0;
    const name = search.workflow?.toLowerCase() ?? "";
    return (runs.data?.runs ?? []).filter((r) => r.workflow.toLowerCase().includes(name) && Date.parse(r.createdAt) >= since);
  }, [runs.data, search.workflow, search.within]);
  const active = shown.filter((r) => !FINAL.has(r.status)).map((r) => r.id);
  const onEvent = useCallback(
    (e: OperationEvent) => {
      if (e.type === "status" || e.type === "complete") void queryClient.invalidateQueries({ queryKey: ["runs"] });
    },
    [queryClient],
  );
  useOperationEvents(active, onEvent);
  const set = (patch: Partial<RunsSearch>) => void navigate({ search: (s: RunsSearch) => ({ ...s, ...patch }) });
  return (
    <section aria-labelledby="runs-title">
      <div className="title-row">
        <h1 id="runs-title">Runs</h1>
        <Link className="button" to="/runs/new">
          Run workflow
        </Link>
      </div>
      <form className="filters" role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={search.status ?? ""} onChange={(e) => set({ status: e.target.value || undefined })}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Workflow
          <input type="search" value={search.workflow ?? ""} onChange={(e) => set({ workflow: e.target.value || undefined })} />
        </label>
        <label>
          Started within
          <select value={search.within ?? ""} onChange={(e) => set({ within: e.target.value || undefined })}>
            <option value="">any time</option>
            {Object.keys(WITHIN).map((w) => (
              <option key={w}>{w}</option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={runs.error} />
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Workflow</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr key={r.id} data-run={r.id}>
              <td>
                <Link to="/runs/$runId" params={{ runId: r.id }}>
                  {r.id}
                </Link>
              </td>
              <td>{r.workflow}</td>
              <td>
                <Status status={r.status} />
              </td>
              <td>{when(r.createdAt)}</td>
              <td>{duration(r.startedAt, r.finishedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.isSuccess && shown.length === 0 && <p className="hint">No runs match.</p>}
    </section>
  );
}
