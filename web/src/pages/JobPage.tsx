import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { api, get } from "../api/client.ts";
import { FINAL, useOperationHistory, when } from "../api/hooks.ts";
import type { Job, OperationEvent } from "../api/types.ts";
import { LogStore } from "../components/log-store.ts";
import { LogView } from "../components/LogView.tsx";
import { ErrorNote, Status } from "../components/Status.tsx";

type StageEvent = Extract<OperationEvent, { type: "stage" }>;
type AgentEvent = Extract<OperationEvent, { type: "tool_call" | "tool_result" | "agent_message" }>;

/** /jobs/{id}: the job's stages, live logs, its agent's tool calls, branch and pull request. */
export function JobPage({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const job = useQuery({ queryKey: ["job", id], queryFn: () => get<Job>(`/jobs/${encodeURIComponent(id)}`) });
  const [store] = useState(() => new LogStore());
  const [stages, setStages] = useState<StageEvent[]>([]);
  const [agent, setAgent] = useState<AgentEvent[]>([]);
  const onEvent = useCallback(
    (e: OperationEvent) => {
      if (e.type === "log") store.push(e);
      else if (e.type === "stage") setStages((s) => [...s, e]);
      else if (e.type === "tool_call" || e.type === "tool_result" || e.type === "agent_message") setAgent((a) => [...a, e]);
      if (e.type === "status" || e.type === "complete" || e.type === "stage") void queryClient.invalidateQueries({ queryKey: ["job", id] });
    },
    [store, queryClient, id],
  );
  useOperationHistory(id, onEvent);
  const cancel = useMutation({ mutationFn: () => api<Job>("POST", `/jobs/${encodeURIComponent(id)}/cancel`), onSuccess: (j) => queryClient.setQueryData(["job", id], j) });
  if (job.error) return <ErrorNote error={job.error} />;
  if (!job.data) return <p aria-busy="true">Loading…</p>;
  const j = job.data;
  return (
    <section aria-labelledby="job-title">
      <div className="title-row">
        <h1 id="job-title">
          Job <Status status={j.status} />
        </h1>
        <button type="button" onClick={() => cancel.mutate()} disabled={FINAL.has(j.status) || cancel.isPending}>
          Cancel
        </button>
      </div>
      <ErrorNote error={cancel.error} />
      <p>{j.prompt}</p>
      <dl className="facts">
        <dt>Queue</dt>
        <dd>{j.queue}</dd>
        <dt>Stage</dt>
        <dd>{j.stage ?? "—"}</dd>
        <dt>Branch</dt>
        <dd>{j.branch ?? "—"}</dd>
        <dt>Pull request</dt>
        <dd>{j.prUrl ? <a href={j.prUrl}>{j.prUrl}</a> : "—"}</dd>
        <dt>Attempts</dt>
        <dd>{j.attempts}</dd>
        <dt>Updated</dt>
        <dd>{when(j.updatedAt)}</dd>
      </dl>
      {j.error && <p className="error">{j.error}</p>}
      <h2>Stages</h2>
      <ol className="stages">
        {stages.map((s) => (
          <li key={s.seq}>
            {s.payload.stage} <Status status={s.payload.status} /> {s.payload.error ?? ""}
          </li>
        ))}
      </ol>
      <h2>Logs</h2>
      <LogView store={store} stepId={null} label="Job logs" />
      <h2>Agent</h2>
      <ol className="agent">
        {agent.map((a) => (
          <li key={a.seq} className={`agent-${a.type}`}>
            <strong>{a.type.replace("_", " ")}</strong> <code>{JSON.stringify(a.payload).slice(0, 300)}</code>
          </li>
        ))}
      </ol>
    </section>
  );
}
