import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useCallback, useState } from "react";
import { api, get } from "../api/client.ts";
import { useOperationHistory, when } from "../api/hooks.ts";
import type { Deployment, OperationEvent, Project } from "../api/types.ts";
import { LogStore } from "../components/log-store.ts";
import { LogView } from "../components/LogView.tsx";
import { ErrorNote, Status } from "../components/Status.tsx";
import { FileViewer, type FileWithContent } from "./deployments/FileViewer.tsx";
import { DEPLOYMENT_OVER } from "./DeploymentsPage.tsx";

/** One line of the deployment's event list. */
function describe(e: OperationEvent): string {
  if (e.type === "phase") {
    const p = e.payload as { phase: string; status: string; message?: string; error?: string };
    return `${p.phase}: ${p.status}${p.message ? ` — ${p.message}` : ""}${p.error ? ` — ${p.error}` : ""}`;
  }
  if (e.type === "status") return `status: ${(e.payload as { status: string }).status}`;
  if (e.type === "complete") return `complete: ${(e.payload as { status: string }).status}`;
  if (e.type === "step") return `runner stage ${e.payload.stepId}: ${e.payload.status}${e.payload.error ? ` — ${e.payload.error}` : ""}`;
  return e.type;
}

/**
 * /deployments/{id}: the seed's progress shape (current step, steps done of all, message, error, URL) kept up to
 * date by the deployment's events, its event list and log, the commit or pull request, the generated files in a
 * tree with a read-only viewer, and Cancel while it runs.
 */
export function DeploymentPage({ id }: { id: string }) {
  const qc = useQueryClient();
  const did = encodeURIComponent(id);
  const deployment = useQuery({ queryKey: ["deployment", id], queryFn: () => get<Deployment>(`/deployments/${did}`) });
  const [store] = useState(() => new LogStore());
  const [events, setEvents] = useState<OperationEvent[]>([]);
  const onEvent = useCallback(
    (e: OperationEvent) => {
      if (e.type === "log") return store.push(e);
      // Events come in seq order; one seen already (the history read again) is not listed twice.
      setEvents((all) => ((all.at(-1)?.seq ?? 0) >= e.seq ? all : [...all, e]));
      void qc.invalidateQueries({ queryKey: ["deployment", id] });
    },
    [store, qc, id],
  );
  useOperationHistory(id, onEvent);
  const d = deployment.data;
  const projectId = d?.projectId;
  const project = useQuery({ queryKey: ["project", projectId], queryFn: () => get<Project>(`/projects/${encodeURIComponent(projectId!)}`), enabled: !!projectId });
  const fileCount = d?.files.length ?? 0;
  const files = useQuery({
    queryKey: ["deployment-files", id, fileCount],
    queryFn: () => get<{ files: FileWithContent[] }>(`/deployments/${did}/files`),
    enabled: fileCount > 0,
  });
  const cancel = useMutation({ mutationFn: () => api<Deployment>("POST", `/deployments/${did}/cancel`), onSuccess: (r) => qc.setQueryData(["deployment", id], r) });
  if (deployment.error) return <ErrorNote error={deployment.error} />;
  if (!d) return <p aria-busy="true">Loading…</p>;
  const over = DEPLOYMENT_OVER.has(d.status);
  return (
    <section aria-labelledby="deployment-title">
      <div className="title-row">
        <h1 id="deployment-title">
          {d.generator} deployment <Status status={d.status} />
        </h1>
        <div className="actions">
          <button type="button" onClick={() => cancel.mutate()} disabled={over || cancel.isPending}>Cancel</button>
        </div>
      </div>
      <p className="hint">
        {d.id} · {d.mode} · <Link to="/deployments" search={{ project: d.projectId }}>{project.data?.name ?? d.projectId}</Link> · created {when(d.createdAt)}
        {d.finishedAt ? ` · finished ${when(d.finishedAt)}` : ""}
      </p>
      <ErrorNote error={cancel.error} />
      <div role="status" aria-label="Deployment progress" className="card" data-status={d.status}>
        <p>
          <strong>{d.currentStep ?? "waiting to start"}</strong> · step {d.stepsCurrent} of {d.stepsTotal}
        </p>
        <progress max={d.stepsTotal} value={over && !d.error ? d.stepsTotal : d.stepsCurrent} aria-label="Steps done" />
        {d.message && <p>{d.message}</p>}
        {d.error && <p className="error">{d.error}</p>}
      </div>
      <dl className="facts">
        <div className="fact"><dt>Commit</dt><dd>{d.commit ? <code>{d.commit}</code> : "—"}{d.branch ? ` on ${d.branch}` : ""}</dd></div>
        <div className="fact"><dt>Pull request</dt><dd>{d.prUrl ? <a href={d.prUrl}>{d.prUrl}</a> : "—"}</dd></div>
        <div className="fact"><dt>URL</dt><dd>{d.deploymentUrl ? <a href={d.deploymentUrl}>{d.deploymentUrl}</a> : "—"}</dd></div>
      </dl>
      <h2>Generated files</h2>
      <ErrorNote error={files.error} />
      {files.data ? <FileViewer files={files.data.files} /> : <p className="hint">{over ? "No files." : "None yet."}</p>}
      <h2>Events</h2>
      <ol className="plain events" aria-label="Events of the deployment">
        {events.map((e) => <li key={e.seq}>{describe(e)}</li>)}
      </ol>
      <h2>Log</h2>
      <LogView store={store} stepId={null} label="Log of the deployment" />
    </section>
  );
}
