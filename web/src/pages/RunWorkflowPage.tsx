import { useMutation } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useCallback, useState } from "react";
import { api } from "../api/client.ts";
import type { Run, ValidationResult, Workflow, WorkflowIssue } from "../api/types.ts";
import { ErrorNote } from "../components/Status.tsx";
import { YamlEditor } from "../components/YamlEditor.tsx";

const EXAMPLE = `name: hello
inputs:
  who: { type: string, default: world, description: Who to greet }
steps:
  - id: greet
    run: echo "hello \${{ inputs.who }}"
`;

type InputValue = string | number | boolean;

/** /runs/new: a workflow document checked by the server as it is typed, and a form for its inputs. */
export function RunWorkflowPage() {
  const navigate = useNavigate();
  const [text, setText] = useState(EXAMPLE);
  const [issues, setIssues] = useState<WorkflowIssue[]>([]);
  const [workflow, setWorkflow] = useState<Workflow | null>(null);
  const [values, setValues] = useState<Record<string, InputValue>>({});
  const validate = useCallback(async (doc: string) => {
    const result = await api<ValidationResult>("POST", "/workflows/validate", { workflow: doc, file: "workflow.yaml" });
    setIssues(result.errors);
    setWorkflow(result.valid ? (result.workflow as Workflow) : null);
    return result.errors;
  }, []);
  const start = useMutation({
    mutationFn: () => api<Run>("POST", "/runs", { workflow: text, inputs: values, file: "workflow.yaml" }),
    onSuccess: (run) => navigate({ to: "/runs/$runId", params: { runId: run.id } }),
  });
  const inputs = Object.entries(workflow?.inputs ?? {});
  return (
    <section aria-labelledby="new-title">
      <h1 id="new-title">Run workflow</h1>
      <YamlEditor initial={EXAMPLE} onChange={setText} validate={validate} label="Workflow YAML" />
      <div aria-live="polite">
        {issues.length > 0 ? (
          <ul className="problems" aria-label="Problems">
            {issues.map((i, n) => (
              <li key={n}>
                line {i.line}, column {i.column}: {i.message}
              </li>
            ))}
          </ul>
        ) : workflow ? (
          <p className="ok">Valid: {workflow.name}</p>
        ) : null}
      </div>
      <form
        aria-label="Inputs"
        onSubmit={(e) => {
          e.preventDefault();
          start.mutate();
        }}
      >
        <h2>Inputs</h2>
        {inputs.length === 0 && <p className="hint">This workflow takes no inputs.</p>}
        {inputs.map(([name, spec]) => {
          const id = `input-${name}`;
          const value = values[name] ?? spec.default ?? (spec.type === "boolean" ? false : "");
          const set = (v: InputValue) => setValues((old) => ({ ...old, [name]: v }));
          return (
            <div key={name} className="field">
              <label htmlFor={id}>
                {name}
                {spec.required ? " (required)" : ""}
              </label>
              {spec.type === "boolean" ? (
                <input id={id} type="checkbox" checked={value === true} onChange={(e) => set(e.target.checked)} />
              ) : (
                <input
                  id={id}
                  type={spec.type === "number" ? "number" : "text"}
                  required={spec.required === true}
                  value={String(value)}
                  onChange={(e) => set(spec.type === "number" ? Number(e.target.value) : e.target.value)}
                />
              )}
              {spec.description && <span className="hint">{spec.description}</span>}
            </div>
          );
        })}
        <ErrorNote error={start.error} />
        <button type="submit" disabled={!workflow || start.isPending}>
          Start run
        </button>
      </form>
    </section>
  );
}
