import * as Dialog from "@radix-ui/react-dialog";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useEffect, useId, useState, type ReactNode } from "react";
import { api, ApiError, get } from "../../api/client.ts";
import type { Deployment, DeploymentRequest, Generator, Project } from "../../api/types.ts";
import { ErrorNote } from "../../components/Status.tsx";
import { fieldOf, TARGET_FIELDS, type Field } from "./fields.ts";

interface Detected {
  app: Record<string, unknown>;
  source: "template" | "project";
}

/** The form's text fields, as typed (turned into the request on submit). */
interface Form {
  name: string;
  image: string;
  ports: string;
  replicas: string;
  extra: string;
  target: Record<string, string>;
}

const EMPTY: Form = { name: "", image: "", ports: "", replicas: "", extra: "{}", target: {} };

/** The form prefilled from what was detected: the named fields taken out, the rest left as JSON. */
function formOf(app: Record<string, unknown>): Form {
  const { name, image, ports, replicas, ...rest } = app;
  return {
    name: typeof name === "string" ? name : "",
    image: typeof image === "string" ? image : "",
    ports: Array.isArray(ports) ? ports.join(", ") : "",
    replicas: typeof replicas === "number" ? String(replicas) : "",
    extra: JSON.stringify(rest, null, 2),
    target: {},
  };
}

/** The config the form describes; throws with the field at fault when a field cannot be read. */
function configOf(f: Form): Record<string, unknown> {
  let extra: unknown;
  try {
    extra = JSON.parse(f.extra.trim() || "{}");
  } catch {
    throw new FormProblem("extra", "not JSON: write an object such as {\"env\": {\"LOG_LEVEL\": \"info\"}}");
  }
  if (typeof extra !== "object" || extra === null || Array.isArray(extra)) throw new FormProblem("extra", "must be a JSON object");
  const config: Record<string, unknown> = { ...extra };
  if (f.name.trim()) config.name = f.name.trim();
  if (f.image.trim()) config.image = f.image.trim();
  const ports = f.ports.split(/[\s,]+/).filter(Boolean);
  if (ports.length > 0) config.ports = ports.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  if (f.replicas.trim()) config.replicas = /^\d+$/.test(f.replicas.trim()) ? Number(f.replicas.trim()) : f.replicas.trim();
  return config;
}

class FormProblem extends Error {
  constructor(
    readonly field: Field,
    message: string,
  ) {
    super(message);
  }
}

/**
 * "Generate deployment files": pick a generator, edit the app description (prefilled from what the server
 * detects for the project), generate (committed on a branch with a pull request, or to the default branch) or
 * execute against a target; then the deployment's page follows it live. The server's 422s show at their field.
 */
export function GenerateDialog({ projectId: fixed }: { projectId?: string }) {
  const navigate = useNavigate();
  const ids = useId();
  const [open, setOpen] = useState(false);
  const [projectId, setProjectId] = useState(fixed ?? "");
  const [generator, setGenerator] = useState("docker-compose");
  const [mode, setMode] = useState<"generate" | "execute">("generate");
  const [direct, setDirect] = useState(false);
  const [form, setForm] = useState<Form>(EMPTY);
  const [problems, setProblems] = useState<Partial<Record<Field, string>>>({});
  const generators = useQuery({ queryKey: ["generators"], queryFn: () => get<{ generators: Generator[] }>("/generators"), enabled: open });
  const projects = useQuery({ queryKey: ["projects"], queryFn: () => get<{ projects: Project[] }>("/projects"), enabled: open && !fixed });
  const detected = useQuery({
    queryKey: ["detect", projectId],
    queryFn: () => get<Detected>(`/projects/${encodeURIComponent(projectId)}/deployments/detect`),
    enabled: open && projectId !== "",
    staleTime: Infinity,
  });
  // Prefilled once per project: a refetch must not throw away what the user typed.
  const [prefilledFor, setPrefilledFor] = useState<string | null>(null);
  useEffect(() => {
    if (detected.data && prefilledFor !== projectId) {
      setForm(formOf(detected.data.app));
      setPrefilledFor(projectId);
    }
  }, [detected.data, prefilledFor, projectId]);
  useEffect(() => {
    if (!fixed && !projectId && projects.data?.projects[0]) setProjectId(projects.data.projects[0].id);
  }, [fixed, projectId, projects.data]);
  const kind = generators.data?.generators.find((g) => g.name === generator)?.target ?? "docker";
  const start = useMutation({
    mutationFn: () => {
      const asked = new Set((TARGET_FIELDS[kind] ?? []).map((f) => f.key));
      const target = Object.fromEntries(Object.entries(form.target).filter(([k, v]) => asked.has(k) && v.trim()).map(([k, v]) => [k, v.trim()]));
      const body: DeploymentRequest = { generator: generator as DeploymentRequest["generator"], config: configOf(form), mode, direct: mode === "generate" && direct };
      if (mode === "execute") body.target = { type: kind, ...target } as DeploymentRequest["target"];
      return api<Deployment>("POST", `/projects/${encodeURIComponent(projectId)}/deployments`, body);
    },
    onMutate: () => setProblems({}),
    onSuccess: (d) => {
      setOpen(false);
      void navigate({ to: "/deployments/$deploymentId", params: { deploymentId: d.id } });
    },
    onError: (err) => {
      if (err instanceof FormProblem) setProblems({ [err.field]: err.message });
      else if (err instanceof ApiError && Array.isArray(err.errors)) {
        const found: Partial<Record<Field, string>> = {};
        for (const e of err.errors as { path: string; message: string }[]) {
          const field = fieldOf(e.path);
          found[field] = found[field] ? `${found[field]}; ${e.message}` : `${e.path}: ${e.message}`;
        }
        setProblems(found);
      }
    },
  });
  const set = (key: keyof Omit<Form, "target">) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));
  // Each field names its problem (aria-describedby), so a screen reader reads it with the field.
  const field = (key: Field, label: string, input: (props: { id: string; "aria-invalid"?: true; "aria-describedby"?: string }) => ReactNode) => {
    const id = `${ids}-${key}`;
    const problem = problems[key];
    return (
      <div className="form-field">
        <label htmlFor={id}>{label}</label>
        {input({ id, ...(problem ? { "aria-invalid": true, "aria-describedby": `${id}-problem` } : {}) })}
        {problem && <p id={`${id}-problem`} className="error field-problem">{problem}</p>}
      </div>
    );
  };
  const unplaced = problems.form ?? (start.error && !(start.error instanceof FormProblem) && !(start.error instanceof ApiError && Array.isArray(start.error.errors)) ? start.error.message : undefined);
  return (
    <Dialog.Root open={open} onOpenChange={setOpen}>
      <Dialog.Trigger asChild>
        <button type="button">Generate deployment files</button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog">
          <Dialog.Title>Generate deployment files</Dialog.Title>
          <Dialog.Description className="hint">
            {detected.data?.source === "template" ? "Prefilled from the project's template; the deployment detects the rest from its repository." : "The deployment detects what it can from the project's repository; what you give here wins."}
          </Dialog.Description>
          <form onSubmit={(e) => { e.preventDefault(); start.mutate(); }}>
            {!fixed && field("project", "Project", (p) => (
              <select {...p} value={projectId} onChange={(e) => setProjectId(e.target.value)}>
                {projects.data?.projects.map((pr) => <option key={pr.id} value={pr.id}>{pr.name}</option>)}
              </select>
            ))}
            {field("generator", "Generator", (p) => (
              <select {...p} value={generator} onChange={(e) => setGenerator(e.target.value)}>
                {(generators.data?.generators ?? [{ name: "docker-compose", description: "" }]).map((g) => <option key={g.name} value={g.name}>{g.name}</option>)}
              </select>
            ))}
            <div className="two-col">
              {field("name", "App name", (p) => <input {...p} value={form.name} onChange={set("name")} />)}
              {field("image", "Image", (p) => <input {...p} value={form.image} onChange={set("image")} placeholder="ghcr.io/acme/app:1.0.0" />)}
              {field("ports", "Ports", (p) => <input {...p} value={form.ports} onChange={set("ports")} placeholder="3000, 8080" />)}
              {field("replicas", "Replicas", (p) => <input {...p} value={form.replicas} onChange={set("replicas")} inputMode="numeric" />)}
            </div>
            {field("extra", "More of the app description (JSON)", (p) => <textarea {...p} rows={5} value={form.extra} onChange={set("extra")} spellCheck={false} />)}
            <fieldset>
              <legend>What to do</legend>
              <label><input type="radio" name="mode" checked={mode === "generate"} onChange={() => setMode("generate")} /> Generate the files and commit them</label>
              <label><input type="radio" name="mode" checked={mode === "execute"} onChange={() => setMode("execute")} /> Execute them against a target</label>
              {problems.mode && <p className="error field-problem">{problems.mode}</p>}
            </fieldset>
            {mode === "generate" ? (
              <fieldset>
                <legend>Commit to</legend>
                <label><input type="radio" name="direct" checked={!direct} onChange={() => setDirect(false)} /> a branch, with a pull request</label>
                <label><input type="radio" name="direct" checked={direct} onChange={() => setDirect(true)} /> the default branch</label>
                {problems.commit && <p className="error field-problem">{problems.commit}</p>}
              </fieldset>
            ) : (
              <fieldset>
                <legend>Target ({kind})</legend>
                {problems.target && <p className="error field-problem">{problems.target}</p>}
                {(TARGET_FIELDS[kind] ?? []).map((t) => field(`target.${t.key}`, t.label, (p) => (
                  <input {...p} value={form.target[t.key] ?? ""} placeholder={t.placeholder} onChange={(e) => setForm((f) => ({ ...f, target: { ...f.target, [t.key]: e.target.value } }))} />
                )))}
              </fieldset>
            )}
            <ErrorNote error={detected.error ?? generators.error ?? unplaced} />
            <div className="actions">
              <button type="submit" disabled={start.isPending || !projectId}>Start</button>
              <Dialog.Close asChild>
                <button type="button">Close</button>
              </Dialog.Close>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
