import { useInfiniteQuery, useQueryClient, type InfiniteData } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { useCallback, useRef } from "react";
import { get, query } from "../api/client.ts";
import { duration, useOperationFeed, when } from "../api/hooks.ts";
import type { OperationChange, RunList } from "../api/types.ts";
import { ErrorNote, Status } from "../components/Status.tsx";

/** The filters of the runs list, kept in the URL so a filtered list can be shared and reloaded. */
export interface RunsSearch {
  status?: string;
  workflow?: string;
  within?: string;
}

const STATUSES = ["pending", "running", "succeeded", "failed", "cancelled"];
const WITHIN: Record<string, number> = { "1h": 3600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 };
const KINDS = ["workflow"] as const;
const PAGE = 50;
const route = getRouteApi("/app/runs");

/** The GET /runs query of the filters and page; `within` becomes a `since` of the moment the list is read. */
function runsPath(search: RunsSearch, before: string | undefined): string {
  // A `within` the page does not offer (a hand-edited URL) filters nothing.
  const span = search.within ? WITHIN[search.within] : undefined;
  const since = span ? new Date(Date.now() - span).toISOString() : undefined;
  return `/runs${query({ status: search.status, workflow: search.workflow, since, limit: PAGE, before })}`;
}

/** True when a run in the list with this change still matches the status filter (a change never moves a run in time or name). */
const stillMatches = (search: RunsSearch, change: OperationChange) => !search.status || search.status.split(",").includes(change.status);

/**
 * /runs: newest first, filtered on the server by status, workflow name (or `prefix*`) and time; live from the
 * workspace's operation feed: a run started anywhere (CLI, API, another tab) appears, and statuses change in place.
 */
export function RunsPage() {
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/runs" });
  const queryClient = useQueryClient();
  const runs = useInfiniteQuery({
    queryKey: ["runs", search],
    queryFn: ({ pageParam }) => get<RunList>(runsPath(search, pageParam)),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  // The feed's callbacks stay the same across renders (one subscription); they read the filters shown now.
  const shownSearch = useRef(search);
  shownSearch.current = search;
  const onSynced = useCallback(() => void queryClient.invalidateQueries({ queryKey: ["runs"] }), [queryClient]);
  const onChange = useCallback(
    (change: OperationChange) => {
      const key = ["runs", shownSearch.current];
      const list = queryClient.getQueryData<InfiniteData<RunList>>(key);
      const known = list?.pages.flatMap((p) => p.runs).find((r) => r.id === change.id);
      // A run already shown changes in place; a new one (or one leaving the filter) is read from the server once.
      if (!list || !known || !stillMatches(shownSearch.current, change)) return void queryClient.invalidateQueries({ queryKey: ["runs"] });
      const patch = { status: change.status as typeof known.status, error: change.error, startedAt: change.startedAt, finishedAt: change.finishedAt };
      const pages = list.pages.map((p) => ({ ...p, runs: p.runs.map((r) => (r.id === change.id ? { ...r, ...patch } : r)) }));
      queryClient.setQueryData<InfiniteData<RunList>>(key, { ...list, pages });
    },
    [queryClient],
  );
  useOperationFeed(KINDS, onChange, onSynced);
  const set = (patch: Partial<RunsSearch>) => void navigate({ search: (s: RunsSearch) => ({ ...s, ...patch }) });
  const shown = runs.data?.pages.flatMap((p) => p.runs) ?? [];
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
          <input type="search" placeholder="name, or prefix*" value={search.workflow ?? ""} onChange={(e) => set({ workflow: e.target.value || undefined })} />
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
      {runs.hasNextPage && (
        <button type="button" onClick={() => void runs.fetchNextPage()} disabled={runs.isFetchingNextPage}>
          Older runs
        </button>
      )}
    </section>
  );
}
