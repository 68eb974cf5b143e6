/** One series of a stacked chart: a key and its value in each bucket (the same order as the buckets). */
export interface Series {
  key: string;
  values: number[];
}

// Eight distinguishable colours (Okabe–Ito, readable with the common colour-vision deficiencies), then repeated.
const COLOURS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"];
const HEIGHT = 160;
const BAR = 16;
const GAP = 4;

/**
 * A stacked SVG bar chart over time, one colour per series, with a legend and a `limit` line (a budget). The
 * figures are also a table for screen readers, so the chart itself is decorative to them.
 */
export function StackedChart({ title, labels, series, format, limit }: { title: string; labels: string[]; series: Series[]; format: (v: number) => string; limit?: { value: number; label: string } | null }) {
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const max = Math.max(1e-9, ...totals, limit?.value ?? 0);
  const width = Math.max(1, labels.length) * (BAR + GAP);
  const y = (v: number) => HEIGHT - (v / max) * HEIGHT;
  const colour = (i: number) => COLOURS[i % COLOURS.length]!;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${HEIGHT}`} preserveAspectRatio="none" width="100%" height={HEIGHT} aria-hidden="true">
        {labels.map((label, i) => {
          let base = 0;
          return (
            <g key={label}>
              {series.map((s, k) => {
                const v = s.values[i] ?? 0;
                if (v <= 0) return null;
                const rect = <rect key={s.key} x={i * (BAR + GAP)} y={y(base + v)} width={BAR} height={HEIGHT - y(v)} fill={colour(k)}><title>{`${label} · ${s.key}: ${format(v)}`}</title></rect>;
                base += v;
                return rect;
              })}
            </g>
          );
        })}
        {limit && <line className="chart-limit" x1={0} x2={width} y1={y(limit.value)} y2={y(limit.value)} />}
      </svg>
      <div className="chart-axis" aria-hidden="true">
        <span>{labels[0]}</span>
        <span>{labels.at(-1)}</span>
      </div>
      <ul className="legend" aria-label={`${title}: legend`}>
        {series.map((s, k) => (
          <li key={s.key} data-series={s.key}>
            <span className="swatch" style={{ background: colour(k) }} /> {s.key} <span className="hint">{format(s.values.reduce((a, b) => a + b, 0))}</span>
          </li>
        ))}
        {limit && (
          <li>
            <span className="swatch swatch-limit" /> {limit.label}
          </li>
        )}
      </ul>
      <table className="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            {series.map((s) => (
              <th key={s.key} scope="col">
                {s.key}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {labels.map((label, i) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              {series.map((s) => (
                <td key={s.key}>{format(s.values[i] ?? 0)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
