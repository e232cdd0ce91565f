/**
 * The sweep page's small charts, plain SVG: optimisation history, parameter importance,
 * intermediate values per trial, and the Pareto front of two objectives.
 */
import type { ReactNode } from "react";
import { formatValue } from "../dashboards/ParallelCoords";
import type { Analysis, Objective, Trial } from "./api";

const W = 480;
const H = 220;
const PAD = 36;

function scale(lo: number, hi: number, a: number, b: number) {
  return (v: number) => (hi === lo ? (a + b) / 2 : a + ((v - lo) / (hi - lo)) * (b - a));
}

function extent(values: number[]): [number, number] {
  return values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
}

function Frame({ title, testId, x, y, children }: { title: string; testId: string; x: [number, number, string]; y: [number, number, string]; children: ReactNode }) {
  return (
    <figure className="sweep-chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} data-testid={testId} role="img" aria-label={title}>
        <line x1={PAD} x2={W - 8} y1={H - PAD} y2={H - PAD} stroke="#3a4a61" />
        <line x1={PAD} x2={PAD} y1={8} y2={H - PAD} stroke="#3a4a61" />
        <text x={PAD} y={H - 8} className="parallel-tick">{formatValue(x[0])}</text>
        <text x={W - 8} y={H - 8} textAnchor="end" className="parallel-tick">{formatValue(x[1])} {x[2]}</text>
        <text x={4} y={H - PAD} className="parallel-tick">{formatValue(y[0])}</text>
        <text x={4} y={16} className="parallel-tick">{formatValue(y[1])} {y[2]}</text>
        {children}
      </svg>
    </figure>
  );
}

/** Each complete trial's value by trial number, and the best so far as a step line. */
export function HistoryChart({ trials, objective }: { trials: Trial[]; objective: Objective }) {
  const done = trials.filter((t) => t.state === "complete" && t.values);
  const ys = done.map((t) => t.values![0]);
  const [lo, hi] = extent(ys);
  const n = Math.max(1, ...trials.map((t) => t.number));
  const sx = scale(0, n, PAD, W - 8);
  const sy = scale(lo, hi, H - PAD, 8);
  let best: number | null = null;
  const line = done.map((t) => {
    const v = t.values![0];
    best = best === null ? v : objective.direction === "maximize" ? Math.max(best, v) : Math.min(best, v);
    return `${sx(t.number)},${sy(best)}`;
  });
  return (
    <Frame title={`Optimisation history (${objective.metric})`} testId="sweep-history" x={[0, n, "trial"]} y={[lo, hi, ""]}>
      {done.length > 2000 ? null : done.map((t) => <circle key={t.number} cx={sx(t.number)} cy={sy(t.values![0])} r={2.5} className="dot" />)}
      <polyline points={line.join(" ")} fill="none" stroke="#f5b942" strokeWidth={1.5} />
    </Frame>
  );
}

/** Optuna's importance of each parameter for the first objective (shares summing to 1). */
export function ImportanceChart({ importance }: { importance: Record<string, number> }) {
  const entries = Object.entries(importance).sort((a, b) => b[1] - a[1]);
  if (!entries.length) return <p className="muted small" data-testid="sweep-importance">Importance needs a few complete trials with different params.</p>;
  return (
    <figure className="sweep-chart" data-testid="sweep-importance">
      <figcaption>Parameter importance (fANOVA)</figcaption>
      {entries.map(([name, share]) => (
        <div key={name} className="importance-row" title={share.toFixed(3)}>
          <span className="importance-name">{name}</span>
          <span className="importance-bar" style={{ width: `${Math.max(1, share * 100)}%` }} />
          <span className="muted small">{(share * 100).toFixed(0)}%</span>
        </div>
      ))}
    </figure>
  );
}

/** Each trial's reported value per epoch, a dot where it ended: where the pruner stopped the poor ones. */
export function IntermediateChart({ intermediate, trials }: { intermediate: Analysis["intermediate"]; trials: Trial[] }) {
  const series = Object.entries(intermediate).slice(-300);
  const all = series.flatMap(([, pts]) => pts);
  const [x0, x1] = extent(all.map((p) => p[0]));
  const [y0, y1] = extent(all.map((p) => p[1]));
  const sx = scale(x0, x1, PAD, W - 8);
  const sy = scale(y0, y1, H - PAD, 8);
  const pruned = new Set(trials.filter((t) => t.state === "pruned").map((t) => String(t.number)));
  return (
    <Frame title="Intermediate values (per epoch)" testId="sweep-intermediate" x={[x0, x1, "epoch"]} y={[y0, y1, ""]}>
      {series.map(([n, pts]) => (
        <polyline key={n} points={pts.map(([x, y]) => `${sx(x)},${sy(y)}`).join(" ")} fill="none"
          stroke={pruned.has(n) ? "#ef6b6b" : "#6bb3ef"} strokeWidth={1.2} strokeOpacity={0.8}><title>{`trial ${n}`}</title></polyline>
      ))}
      {series.filter(([, pts]) => pts.length).map(([n, pts]) => {
        const [x, y] = pts[pts.length - 1];
        return <circle key={n} cx={sx(x)} cy={sy(y)} r={2.5} className={pruned.has(n) ? "dot pruned" : "dot"}>
          <title>{`trial ${n}: ${formatValue(y)} at epoch ${x}${pruned.has(n) ? ", pruned" : ""}`}</title></circle>;
      })}
    </Frame>
  );
}

/** Two objectives against each other, the Pareto front's trials highlighted. */
export function ParetoChart({ trials, objectives, front }: { trials: Trial[]; objectives: Objective[]; front: number[] }) {
  const done = trials.filter((t) => t.state === "complete" && t.values && t.values.length >= 2);
  const [x0, x1] = extent(done.map((t) => t.values![1]));
  const [y0, y1] = extent(done.map((t) => t.values![0]));
  const sx = scale(x0, x1, PAD, W - 8);
  const sy = scale(y0, y1, H - PAD, 8);
  const best = new Set(front);
  return (
    <Frame title={`Pareto front: ${objectives[0].metric} against ${objectives[1].metric}`} testId="sweep-pareto"
      x={[x0, x1, objectives[1].metric]} y={[y0, y1, objectives[0].metric]}>
      {done.map((t) => (
        <circle key={t.number} cx={sx(t.values![1])} cy={sy(t.values![0])} r={best.has(t.number) ? 4 : 2.5}
          className={best.has(t.number) ? "dot front" : "dot"}><title>{`trial ${t.number}`}</title></circle>
      ))}
    </Frame>
  );
}
