import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { useCallback } from "react";
import { get, query } from "../api/client.ts";
import { useOperationEvents, useOperationFeed, when } from "../api/hooks.ts";
import type { Deployment, OperationEvent, Project } from "../api/types.ts";
import { ErrorNote, Status } from "../components/Status.tsx";
import { GenerateDialog } from "./deployments/GenerateDialog.tsx";

/** The search of /deployments: one project's deployments only. */
export interface DeploymentsSearch {
  project?: string;
}

/** Statuses after which a deployment changes no more. */
export const DEPLOYMENT_OVER = new Set(["generated", "deployed", "failed", "cancelled"]);

const DEPLOYMENT_KINDS = ["deployment"] as const;

/** /deployments: the workspace's deployments, newest first, filtered by project; the unfinished ones followed live. */
export function DeploymentsPage({ search }: { search: DeploymentsSearch }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const path = search.project ? `/projects/${encodeURIComponent(search.project)}/deployments` : "/deployments";
  const deployments = useQuery({ queryKey: ["deployments", search.project ?? null], queryFn: () => get<{ deployments: Deployment[] }>(`${path}${query({ limit: 100 })}`) });
  const projects = useQuery({ queryKey: ["projects"], queryFn: () => get<{ projects: Project[] }>("/projects") });
  const names = new Map(projects.data?.projects.map((p) => [p.id, p.name]));
  const live = deployments.data?.deployments.filter((d) => !DEPLOYMENT_OVER.has(d.status)).map((d) => d.id) ?? [];
  const onEvent = useCallback(
    (e: OperationEvent) => {
      if (e.type === "phase" || e.type === "status" || e.type === "complete") void qc.invalidateQueries({ queryKey: ["deployments"] });
    },
    [qc],
  );
  useOperationEvents(live, onEvent);
  // A deployment started elsewhere (the CLI, the API, Connect) shows up without a reload.
  const reread = useCallback(() => void qc.invalidateQueries({ queryKey: ["deployments"] }), [qc]);
  useOperationFeed(DEPLOYMENT_KINDS, reread, reread);
  return (
    <section aria-labelledby="deployments-title">
      <div className="title-row">
        <h1 id="deployments-title">Deployments</h1>
        <GenerateDialog />
      </div>
      <div className="filters">
        <label>
          Project
          <select value={search.project ?? ""} onChange={(e) => void navigate({ to: "/deployments", search: e.target.value ? { project: e.target.value } : {} })}>
            <option value="">all</option>
            {projects.data?.projects.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        </label>
      </div>
      <ErrorNote error={deployments.error ?? projects.error} />
      <table className="table">
        <caption className="sr-only">Deployments, newest first</caption>
        <thead>
          <tr><th>Deployment</th><th>Project</th><th>Generator</th><th>Mode</th><th>Status</th><th>When</th><th>Commit</th><th>URL</th></tr>
        </thead>
        <tbody>
          {deployments.data?.deployments.map((d) => (
            <tr key={d.id} data-deployment={d.id}>
              <td><Link to="/deployments/$deploymentId" params={{ deploymentId: d.id }}>{d.id}</Link></td>
              <td>{names.get(d.projectId) ?? d.projectId}</td>
              <td>{d.generator}</td>
              <td>{d.mode}</td>
              <td><Status status={d.status} />{d.currentStep && !DEPLOYMENT_OVER.has(d.status) ? ` ${d.currentStep} (${d.stepsCurrent}/${d.stepsTotal})` : ""}</td>
              <td>{when(d.createdAt)}</td>
              <td>{d.prUrl ? <a href={d.prUrl}>pull request</a> : d.commit ? <code>{d.commit.slice(0, 10)}</code> : ""}{d.branch ? ` on ${d.branch}` : ""}</td>
              <td>{d.deploymentUrl ? <a href={d.deploymentUrl}>{d.deploymentUrl}</a> : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {deployments.data?.deployments.length === 0 && <p className="hint">No deployments yet: generate deployment files for a project.</p>}
    </section>
  );
}
