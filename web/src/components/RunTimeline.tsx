import { duration } from "../api/hooks.ts";
import type { Run, Step } from "../api/types.ts";

/** Each step's depth in the graph: 0 for a step that needs none, else one more than the deepest it needs. */
function depths(steps: Step[]): Map<string, number> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const of = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const step = byId.get(id);
    // A need outside this phase (or a cycle, which validation rejects) starts a column of its own.
    if (!step || seen.has(id)) return 0;
    seen.add(id);
    const d = step.needs.length === 0 ? 0 : 1 + Math.max(...step.needs.map((n) => (byId.has(n) ? of(n, seen) : -1)));
    depth.set(id, d);
    return d;
  };
  for (const s of steps) of(s.id, new Set());
  return depth;
}

/** The step graph: a column per depth of the `needs` DAG (a step stands right of what it waits for), per phase. */
export function StepGraph({ steps }: { steps: Step[] }) {
  const phases = (["main", "teardown"] as const).map((p) => ({ phase: p, steps: steps.filter((s) => s.phase === p) })).filter((p) => p.steps.length > 0);
  return (
    <div className="graph" aria-label="Step graph">
      {phases.map((p) => {
        const depth = depths(p.steps);
        const columns = [...new Set(p.steps.map((s) => depth.get(s.id) ?? 0))].sort((a, b) => a - b);
        return (
          <div key={p.phase} className="graph-phase" aria-label={p.phase === "main" ? "Steps" : "Teardown"} role="group">
            {columns.map((c) => (
              <ol key={c} className="graph-column">
                {p.steps.filter((s) => (depth.get(s.id) ?? 0) === c).map((s) => (
                  <li key={s.id} className={`node status-${s.status}`} data-step={s.id}>
                    <strong>{s.id}</strong>
                    <span>{s.status}{s.attempt > 1 ? ` · attempt ${s.attempt}` : ""}</span>
                    {s.needs.length > 0 && <span className="hint">after {s.needs.join(", ")}</span>}
                  </li>
                ))}
              </ol>
            ))}
          </div>
        );
      })}
    </div>
  );
}

/** A waterfall: each step's bar from when it started to when it ended (or now), on the run's time axis. */
export function Waterfall({ run }: { run: Run }) {
  const start = Date.parse(run.startedAt ?? run.createdAt);
  const ends = run.steps.map((s) => (s.finishedAt ? Date.parse(s.finishedAt) : s.startedAt ? Date.now() : start));
  const end = Math.max(start + 1, run.finishedAt ? Date.parse(run.finishedAt) : 0, ...ends);
  const span = end - start;
  return (
    <table className="waterfall" aria-label="Timeline">
      <tbody>
        {run.steps.map((s) => {
          const from = s.startedAt ? Date.parse(s.startedAt) : null;
          const to = s.finishedAt ? Date.parse(s.finishedAt) : Date.now();
          const left = from === null ? 0 : ((from - start) / span) * 100;
          const width = from === null ? 0 : Math.max(0.5, ((to - from) / span) * 100);
          return (
            <tr key={`${s.phase}-${s.id}`}>
              <th scope="row">{s.id}</th>
              <td>
                <div className="bar-track">
                  {from !== null && <div className={`bar status-${s.status}`} style={{ marginLeft: `${left}%`, width: `${width}%` }} />}
                </div>
              </td>
              <td className="num">{duration(s.startedAt, s.finishedAt)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
