/** One bar of a chart. */
export interface Bar {
  label: string;
  value: number;
}

/** A small SVG bar chart with a text alternative (the same figures as a table for screen readers). */
export function BarChart({ title, bars, format }: { title: string; bars: Bar[]; format: (v: number) => string }) {
  const max = Math.max(1e-9, ...bars.map((b) => b.value));
  const w = Math.max(1, bars.length) * 28;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${w} 120`} width="100%" height="140" role="img" aria-label={`${title}: ${bars.map((b) => `${b.label} ${format(b.value)}`).join(", ") || "no data"}`}>
        {bars.map((b, i) => {
          const h = (b.value / max) * 100;
          return (
            <g key={b.label}>
              <rect x={i * 28 + 4} y={105 - h} width={20} height={h} className="chart-bar">
                <title>{`${b.label}: ${format(b.value)}`}</title>
              </rect>
              <text x={i * 28 + 14} y={117} textAnchor="middle" className="chart-label">
                {b.label.slice(5)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
