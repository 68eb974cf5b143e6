import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";
import { api, get } from "../api/client.ts";
import { FINAL, useOperationEvents, when } from "../api/hooks.ts";
import type { Build, BuildPhaseName, OperationEvent, Previews, Project, Publish } from "../api/types.ts";
import { ErrorNote, Status } from "../components/Status.tsx";
import { GenerateDialog } from "./deployments/GenerateDialog.tsx";
import { useCurrentBlueprint } from "./studio/blueprint.ts";
import { ChatPane } from "./studio/ChatPane.tsx";
import { PlanPane } from "./studio/PlanPane.tsx";

// A build from a prompt plans its own tasks; a blueprint's build writes its spec and design first.
const PROMPT_PHASES: BuildPhaseName[] = ["plan", "implement", "test", "deploy"];
const BLUEPRINT_PHASES: BuildPhaseName[] = ["spec", "design", "implement", "test", "deploy"];
type Environment = "staging" | "production";

/**
 * /studio/{projectId}: three panes. The Architect chat and the plan of the project's current blueprint; the
 * preview pane is live: the preview in a sandboxed iframe, the build's phases over it, versions, Publish.
 */
export function StudioProjectPage({ id }: { id: string }) {
  const qc = useQueryClient();
  const pid = encodeURIComponent(id);
  const project = useQuery({ queryKey: ["project", id], queryFn: () => get<Project>(`/projects/${pid}`) });
  const builds = useQuery({ queryKey: ["builds", id], queryFn: () => get<{ builds: Build[] }>(`/projects/${pid}/builds`) });
  const previews = useQuery({ queryKey: ["previews", id], queryFn: () => get<Previews>(`/projects/${pid}/previews`) });
  const [env, setEnv] = useState<Environment>("staging");
  const [prompt, setPrompt] = useState("");
  const [phase, setPhase] = useState<string | null>(null);
  const blueprint = useCurrentBlueprint(id);
  const refreshBlueprint = blueprint.refresh;
  const refresh = useCallback(() => {
    for (const key of ["builds", "previews"]) void qc.invalidateQueries({ queryKey: [key, id] });
    // A blueprint's build ends its `building` state: the plan pane shows built (or the error) again.
    refreshBlueprint();
  }, [qc, id, refreshBlueprint]);
  const latest = builds.data?.builds[0];
  const building = latest && !FINAL.has(latest.status) ? latest : null;
  const onEvent = useCallback(
    (e: OperationEvent) => {
      if (e.type === "phase") setPhase(e.payload.phase);
      if (e.type === "complete" || e.type === "status" || e.type === "phase") refresh();
    },
    [refresh],
  );
  useOperationEvents(building ? [building.operationId] : [], onEvent);
  const publishes = useQuery({ queryKey: ["publishes", id], queryFn: () => get<{ publishes: Publish[] }>(`/projects/${pid}/publishes`) });
  const publishing = publishes.data?.publishes.find((p) => !FINAL.has(p.status)) ?? null;
  const onPublishEvent = useCallback(
    (e: OperationEvent) => {
      if (e.type === "phase" || e.type === "complete") void qc.invalidateQueries({ queryKey: ["publishes", id] });
      if (e.type === "complete") refresh();
    },
    [qc, id, refresh],
  );
  useOperationEvents(publishing ? [publishing.operationId] : [], onPublishEvent);
  const lastPublish = publishes.data?.publishes[0];
  // A publish can be seen ended in the list before its `complete` event arrives (the list is re-read at each
  // phase, and a publish that is over is followed no more): the environments are re-read when it is seen ended.
  const publishEnded = lastPublish && FINAL.has(lastPublish.status) ? lastPublish.id : null;
  useEffect(() => {
    if (publishEnded) void qc.invalidateQueries({ queryKey: ["previews", id] });
  }, [publishEnded, qc, id]);
  const build = useMutation({ mutationFn: () => api<Build>("POST", `/projects/${pid}/builds`, { prompt }), onSuccess: () => { setPrompt(""); setPhase(null); refresh(); } });
  const rollback = useMutation({ mutationFn: (version: number) => api("POST", `/projects/${pid}/previews/${version}/promote`, { environment: env }), onSuccess: refresh });
  const publish = useMutation({ mutationFn: () => api<Publish>("POST", `/projects/${pid}/publish`, {}), onSuccess: () => void qc.invalidateQueries({ queryKey: ["publishes", id] }) });
  const shown = previews.data?.environments[env];
  const phases = building?.blueprintId ? BLUEPRINT_PHASES : PROMPT_PHASES;
  return (
    <section aria-labelledby="project-title" className="studio">
      <div className="title-row">
        <h1 id="project-title">{project.data?.name ?? "Project"}</h1>
        <GenerateDialog projectId={id} />
      </div>
      <ErrorNote error={project.error ?? build.error ?? rollback.error ?? publish.error} />
      <div className="panes">
        <aside className="pane" aria-labelledby="chat-title" data-pane="chat">
          <h2 id="chat-title">Architect</h2>
          <ErrorNote error={blueprint.error} />
          {blueprint.loaded && <ChatPane projectId={id} blueprint={blueprint.blueprint} onChanged={blueprint.refresh} />}
          <h3>Quick change</h3>
          <form onSubmit={(e) => { e.preventDefault(); if (prompt.trim()) build.mutate(); }}>
            <label htmlFor="prompt">What should change? (built without a blueprint)</label>
            <textarea id="prompt" rows={5} value={prompt} onChange={(e) => setPrompt(e.target.value)} />
            <button type="submit" disabled={build.isPending || !!building}>Build</button>
          </form>
        </aside>
        <aside className="pane" aria-labelledby="plan-title" data-pane="plan">
          <h2 id="plan-title">Plan</h2>
          {blueprint.loaded && <PlanPane blueprint={blueprint.blueprint} onBuilt={() => { setPhase(null); refresh(); }} />}
          {latest?.tasks && <ol aria-label="Tasks of the latest build">{latest.tasks.map((t) => <li key={t.title}>{t.title}</li>)}</ol>}
          <h3>Builds</h3>
          <ul className="plain">
            {builds.data?.builds.map((b) => (
              <li key={b.id}><Status status={b.status} /> {b.blueprintId ? "from the blueprint" : (b.prompt ?? "first deploy").slice(0, 40)} {b.previewVersion ? `→ v${b.previewVersion}` : ""}</li>
            ))}
          </ul>
        </aside>
        <div className="pane preview" aria-labelledby="preview-title" data-pane="preview">
          <div className="title-row">
            <h2 id="preview-title">Preview</h2>
            <div role="radiogroup" aria-label="Environment" className="segmented">
              {(["staging", "production"] as const).map((e) => (
                <button key={e} type="button" role="radio" aria-checked={env === e} onClick={() => setEnv(e)}>{e}</button>
              ))}
            </div>
            <button type="button" onClick={() => publish.mutate()} disabled={publish.isPending || !!publishing || !previews.data?.environments.staging.version}>Publish</button>
          </div>
          <p className="hint">
            {shown?.version ? <>v{shown.version} · <a href={shown.url} target="_blank" rel="noreferrer">{shown.url}</a></> : "nothing deployed here yet"}
            {lastPublish && (
              <span role="status" data-publish={lastPublish.status}>
                {" "}· publish of v{lastPublish.version} to {lastPublish.toEnvironment}: {lastPublish.status}
                {lastPublish.phase && !FINAL.has(lastPublish.status) ? ` (${lastPublish.phase})` : ""}
                {lastPublish.error ? ` — ${lastPublish.error}` : ""}
              </span>
            )}
          </p>
          <div className="frame">
            {shown?.version ? <iframe title={`Preview (${env})`} src={shown.url} sandbox="allow-scripts allow-forms" key={`${env}-${shown.version}`} /> : <div className="empty" />}
            {building && (
              <div className="overlay" role="status" aria-label="Build progress">
                <strong>Building…</strong>
                <ol className="phases">
                  {phases.map((p) => {
                    const current = phase ?? building.phase;
                    const at = current ? phases.indexOf(current as BuildPhaseName) : -1;
                    const i = phases.indexOf(p);
                    return <li key={p} className={i < at ? "done" : i === at ? "current" : ""} aria-current={i === at ? "step" : undefined}>{p}</li>;
                  })}
                </ol>
              </div>
            )}
          </div>
          <h3>Versions</h3>
          <ul className="plain versions">
            {previews.data?.versions.map((v) => (
              <li key={v.version} data-version={v.version}>
                v{v.version} · {when(v.createdAt)} {shown?.version === v.version ? <strong>(shown on {env})</strong> : (
                  <button type="button" onClick={() => rollback.mutate(v.version)}>Show v{v.version} on {env}</button>
                )}
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  );
}
