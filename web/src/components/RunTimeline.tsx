import { duration } from "../api/hooks.ts";
import type { Run, Step } from "../api/types.ts";

/** The steps in order (main, then teardown), each a node with its status: the run's shape at a glance. */
export function StepGraph({ steps }: { steps: Step[] }) {
  const phases = (["main", "teardown"] as const).map((p) => ({ phase: p, steps: steps.filter((s) => s.phase === p) })).filter((p) => p.steps.length > 0);
  return (
    <div className="graph" aria-label="Step graph">
      {phases.map((p) => (
        <ol key={p.phase} className="graph-phase" aria-label={p.phase === "main" ? "Steps" : "Teardown"}>
          {p.steps.map((s) => (
            <li key={s.id} className={`node status-${s.status}`}>
              <strong>{s.id}</strong>
              <span>{s.status}</span>
              {s.attempt > 1 && <span>attempt {s.attempt}</span>}
            </li>
          ))}
        </ol>
      ))}
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
