import { useMutation } from "@tanstack/react-query";
import { api } from "../../api/client.ts";
import type { Blueprint } from "../../api/types.ts";
import { ErrorNote } from "../../components/Status.tsx";

type Sections = Blueprint["sections"];

/** Each section's title and the names of what it lists. */
const SECTIONS: { key: keyof Sections; title: string; items: (s: Sections) => string[] }[] = [
  { key: "dataModel", title: "Data model", items: (s) => s.dataModel.entities.map((e) => e.name) },
  { key: "apiEndpoints", title: "API endpoints", items: (s) => s.apiEndpoints.endpoints.map((e) => `${e.method} ${e.path}`) },
  { key: "uiComponents", title: "UI components", items: (s) => s.uiComponents.components.map((c) => c.name) },
  { key: "designSystem", title: "Design system", items: () => [] },
  { key: "dependencies", title: "Dependencies", items: (s) => s.dependencies.items.map((d) => d.name) },
];

/** The design system's tokens: colours as swatches (with their value as text), the rest as values. */
function DesignTokens({ design }: { design: Sections["designSystem"] }) {
  const empty = design.colors.length + design.typography.length + design.spacing.length === 0 && !design.borderRadius;
  if (empty) return null;
  return (
    <div className="tokens">
      {design.colors.length > 0 && (
        <ul className="plain swatches" aria-label="Colours">
          {design.colors.map((c) => (
            <li key={c.name}><span className="swatch" style={{ background: c.value }} aria-hidden="true" /> {c.name} <code>{c.value}</code></li>
          ))}
        </ul>
      )}
      <dl className="facts">
        {design.typography.map((t) => (
          <div key={t.name} className="fact"><dt>{t.name}</dt><dd>{t.fontFamily} · {t.size} · {t.weight}</dd></div>
        ))}
        {design.spacing.length > 0 && <div className="fact"><dt>spacing</dt><dd>{design.spacing.map((n) => `${n}px`).join(" · ")}</dd></div>}
        {design.borderRadius && <div className="fact"><dt>radius</dt><dd>{design.borderRadius}</dd></div>}
      </dl>
      {design.inspirationNotes && <p className="hint">{design.inspirationNotes}</p>}
    </div>
  );
}

/**
 * The plan of the current blueprint: each section with its status, the references' thumbnails, the design
 * tokens, open questions and assumptions, and the Build button, which lists the blockers while the plan is not
 * ready (the server decides readiness; the button only shows it).
 */
export function PlanPane({ blueprint, onBuilt }: { blueprint: Blueprint | null; onBuilt: () => void }) {
  const build = useMutation({
    mutationFn: (id: string) => api<{ operationId: string; buildId: string }>("POST", `/blueprints/${encodeURIComponent(id)}/build`),
    onSuccess: onBuilt,
  });
  if (!blueprint) return <p className="hint">The blueprint's sections, tokens and open questions appear here once a feature is being planned.</p>;
  const building = blueprint.status === "building";
  // While it builds the plan is not buildable again, yet nothing is left to answer: no blockers to list then.
  const blocked = !blueprint.readyToBuild && blueprint.blockers.length > 0;
  return (
    <div className="plan">
      {blueprint.summary && <p>{blueprint.summary}</p>}
      <ul className="plain sections" aria-label="Sections">
        {SECTIONS.map((s) => (
          <li key={s.key} data-section={s.key} data-status={blueprint.sections[s.key].status}>
            <strong>{s.title}</strong> <span className={`status section-${blueprint.sections[s.key].status}`}>{blueprint.sections[s.key].status}</span>
            {s.items(blueprint.sections).length > 0 && <span className="hint"> · {s.items(blueprint.sections).join(", ")}</span>}
            {s.key === "designSystem" && <DesignTokens design={blueprint.sections.designSystem} />}
          </li>
        ))}
      </ul>
      {blueprint.references.items.length > 0 && (
        <>
          <h3>References</h3>
          <ul className="plain thumbnails" aria-label="References">
            {blueprint.references.items.map((r) => (
              <li key={r.id}>
                <a href={`/api/v1/references/${encodeURIComponent(r.id)}/image`} target="_blank" rel="noreferrer">
                  <img src={`/api/v1/references/${encodeURIComponent(r.id)}/thumbnail`} alt={`reference: ${r.source}`} width={160} height={100} />
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
      {blueprint.openQuestions.length > 0 && (
        <>
          <h3>Open questions</h3>
          <ul className="open-questions" aria-label="Open questions">{blueprint.openQuestions.map((q) => <li key={q.id}>{q.question}</li>)}</ul>
        </>
      )}
      {blueprint.assumptions.length > 0 && (
        <>
          <h3>Assumptions</h3>
          <ul aria-label="Assumptions">{blueprint.assumptions.map((a) => <li key={a}>{a}</li>)}</ul>
        </>
      )}
      <ErrorNote error={build.error} />
      <button type="button" className="primary" onClick={() => build.mutate(blueprint.id)} disabled={blocked || building || build.isPending} aria-describedby={blocked ? "build-blockers" : undefined}>
        Build the blueprint
      </button>
      {blocked && (
        <div id="build-blockers">
          <p className="hint">Not ready to build:</p>
          <ul aria-label="Blockers">{blueprint.blockers.map((b) => <li key={b}>{b}</li>)}</ul>
        </div>
      )}
      {building && <p className="hint">Building: follow it over the preview.</p>}
      {blueprint.lastError && <p className="error">Last build: {blueprint.lastError}</p>}
    </div>
  );
}
