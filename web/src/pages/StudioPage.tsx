import { useMutation, useQuery } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { api, get } from "../api/client.ts";
import type { Project, Template } from "../api/types.ts";
import { ErrorNote } from "../components/Status.tsx";

/** /studio: the template gallery (a new project from a template) and the projects made so far. */
export function StudioPage() {
  const navigate = useNavigate();
  const templates = useQuery({ queryKey: ["templates"], queryFn: () => get<{ templates: Template[] }>("/templates") });
  const projects = useQuery({ queryKey: ["projects"], queryFn: () => get<{ projects: Project[] }>("/projects") });
  const [chosen, setChosen] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [model, setModel] = useState("");
  const create = useMutation({
    mutationFn: () => api<Project>("POST", "/projects", { name, template: chosen, ...(model ? { defaultModel: model } : {}) }),
    onSuccess: (p) => navigate({ to: "/studio/$projectId", params: { projectId: p.id } }),
  });
  return (
    <section aria-labelledby="studio-title">
      <h1 id="studio-title">Studio</h1>
      <h2>Start from a template</h2>
      <ErrorNote error={templates.error ?? create.error} />
      <ul className="gallery" aria-label="Templates">
        {templates.data?.templates.map((t) => (
          <li key={t.name}>
            <button type="button" className={`tile${chosen === t.name ? " chosen" : ""}`} aria-pressed={chosen === t.name} onClick={() => setChosen(t.name)}>
              <strong>{t.title}</strong>
              <span>{t.description}</span>
            </button>
          </li>
        ))}
      </ul>
      {chosen && (
        <form className="inline" onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
          <label htmlFor="project-name">Project name</label>
          <input id="project-name" value={name} onChange={(e) => setName(e.target.value)} required />
          <label htmlFor="project-model">Model (optional)</label>
          <input id="project-model" value={model} onChange={(e) => setModel(e.target.value)} placeholder="workspace default" />
          <button type="submit" disabled={create.isPending}>Create project</button>
        </form>
      )}
      <h2>Projects</h2>
      <ul className="plain">
        {projects.data?.projects.map((p) => (
          <li key={p.id}>
            <Link to="/studio/$projectId" params={{ projectId: p.id }}>{p.name}</Link> {p.template ? <span className="hint">({p.template})</span> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
