import * as Tabs from "@radix-ui/react-tabs";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useCallback, useState } from "react";
import { api, get } from "../api/client.ts";
import { duration, FINAL, useOperationHistory, when } from "../api/hooks.ts";
import type { OperationEvent, Run } from "../api/types.ts";
import { LogStore } from "../components/log-store.ts";
import { LogView } from "../components/LogView.tsx";
import { ErrorNote, Status } from "../components/Status.tsx";
import { StepGraph, Waterfall } from "../components/RunTimeline.tsx";

/** /runs/{id}: steps as a graph and a waterfall, live logs per step, inputs and outputs, Cancel and Re-run. */
export function RunPage({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const run = useQuery({ queryKey: ["run", id], queryFn: () => get<Run>(`/runs/${encodeURIComponent(id)}`) });
  // One log per page: the route keys the page by run id, so a re-run's page starts empty.
  const [store] = useState(() => new LogStore());
  const [step, setStep] = useState("all");
  const onEvent = useCallback(
    (e: OperationEvent) => {
      if (e.type === "log") store.push(e);
      else if (e.type === "step" || e.type === "status" || e.type === "complete") void queryClient.invalidateQueries({ queryKey: ["run", id] });
    },
    [store, queryClient, id],
  );
  useOperationHistory(id, onEvent);
  const cancel = useMutation({ mutationFn: () => api<Run>("POST", `/runs/${encodeURIComponent(id)}/cancel`), onSuccess: (r) => queryClient.setQueryData(["run", id], r) });
  const rerun = useMutation({
    mutationFn: () => api<Run>("POST", `/runs/${encodeURIComponent(id)}/rerun`),
    onSuccess: (r) => navigate({ to: "/runs/$runId", params: { runId: r.id } }),
  });
  if (run.error) return <ErrorNote error={run.error} />;
  if (!run.data) return <p aria-busy="true">Loading…</p>;
  const r = run.data;
  const over = FINAL.has(r.status);
  return (
    <section aria-labelledby="run-title">
      <div className="title-row">
        <h1 id="run-title">
          {r.workflow} <Status status={r.status} />
        </h1>
        <div className="actions">
          <button type="button" onClick={() => cancel.mutate()} disabled={over || cancel.isPending}>
            Cancel
          </button>
          <button type="button" onClick={() => rerun.mutate()} disabled={rerun.isPending}>
            Re-run
          </button>
        </div>
      </div>
      <p className="hint">
        {r.id} · created {when(r.createdAt)} · {duration(r.startedAt, r.finishedAt)}
        {r.rerunOf ? ` · re-run of ${r.rerunOf}` : ""}
      </p>
      <ErrorNote error={cancel.error ?? rerun.error} />
      {r.error && <p className="error">{r.error}</p>}
      <h2>Steps</h2>
      <StepGraph steps={r.steps} />
      <Waterfall run={r} />
      <h2>Logs</h2>
      <Tabs.Root value={step} onValueChange={setStep}>
        <Tabs.List aria-label="Logs of" className="tabs">
          <Tabs.Trigger value="all">All steps</Tabs.Trigger>
          {r.steps.map((s) => (
            <Tabs.Trigger key={`${s.phase}-${s.id}`} value={s.id}>
              {s.id}
            </Tabs.Trigger>
          ))}
        </Tabs.List>
        <Tabs.Content value={step} forceMount>
          <LogView store={store} stepId={step === "all" ? null : step} label={step === "all" ? "Logs of all steps" : `Logs of step ${step}`} />
        </Tabs.Content>
      </Tabs.Root>
      <div className="two-col">
        <div>
          <h2>Inputs</h2>
          <pre className="json">{JSON.stringify(r.inputs, null, 2)}</pre>
        </div>
        <div>
          <h2>Outputs</h2>
          <pre className="json">{r.outputs ? JSON.stringify(r.outputs, null, 2) : "—"}</pre>
        </div>
      </div>
    </section>
  );
}
