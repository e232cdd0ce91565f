/**
 * Parallel coordinates: one vertical axis per hyperparameter that differs and
 * one for the chosen metric; each run is a line across them, coloured by the
 * metric (bright = better), so what good runs share stands out.
 */
import { useMemo } from "react";
import type { Goal } from "./types";

const W = 1000;
const H = 300;
const PAD = { top: 28, bottom: 36, side: 60 };

interface Axis {
  name: string;
  position: (v: unknown) => number | null;
  ticks: { y: number; label: string }[];
}

function formatValue(v: unknown): string {
  if (typeof v === "number") return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(+v.toPrecision(4));
  return v === null || v === undefined ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v);
}

function makeAxis(name: string, values: unknown[]): Axis {
  const top = PAD.top;
  const span = H - PAD.top - PAD.bottom;
  const numbers = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (numbers.length === values.filter((v) => v !== null && v !== undefined).length && numbers.length) {
    const positive = numbers.every((v) => v > 0);
    const lo = Math.min(...numbers);
    const hi = Math.max(...numbers);
    // Learning rates and the like spread over decades: a log axis when they do.
    const log = positive && hi / lo >= 20;
    const f = (v: number) => (log ? Math.log10(v) : v);
    const scale = (v: number) => (hi === lo ? top + span / 2 : top + span - ((f(v) - f(lo)) / (f(hi) - f(lo))) * span);
    return { name, position: (v) => (typeof v === "number" ? scale(v) : null),
      ticks: [...new Set([lo, hi])].map((v) => ({ y: scale(v), label: formatValue(v) })) };
  }
  const categories = [...new Set(values.map(formatValue))].sort();
  const at = (label: string) => top + (categories.length === 1 ? span / 2 : (categories.indexOf(label) / (categories.length - 1)) * span);
  return { name, position: (v) => at(formatValue(v)), ticks: categories.map((c) => ({ y: at(c), label: c })) };
}

export function ParallelCoords({ hparams, metric, values, goal, runIds }: {
  hparams: { name: string; values: unknown[] }[];
  metric: string;
  values: (number | null)[];
  goal: Goal;
  runIds: number[];
}) {
  const axes = useMemo(() => [...hparams.map((h) => makeAxis(h.name, h.values)), makeAxis(metric, values)],
    [hparams, metric, values]);
  const finite = values.filter((v): v is number => v !== null);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const colour = (v: number | null) => {
    if (v === null || !finite.length) return "#4b5563";
    // A setting (goal "none") is coloured low to high, like a metric to maximise.
    const good = hi === lo ? 1 : goal !== "min" ? (v - lo) / (hi - lo) : (hi - v) / (hi - lo);
    return `hsl(${20 + good * 190} 80% ${45 + good * 15}%)`;
  };
  const x = (i: number) => PAD.side + (axes.length === 1 ? 0 : (i / (axes.length - 1)) * (W - 2 * PAD.side));
  const rows = runIds.map((_, r) => [...hparams.map((h) => h.values[r]), values[r]]);
  return (
    <svg className="parallel" viewBox={`0 0 ${W} ${H}`} data-testid="parallel-coords" role="img"
      aria-label={`Hyperparameters against ${metric}`}>
      {rows.map((row, r) => {
        const points = axes.map((a, i) => [x(i), a.position(row[i])] as const).filter(([, y]) => y !== null);
        return <polyline key={runIds[r]} points={points.map(([px, py]) => `${px},${py}`).join(" ")} fill="none"
          stroke={colour(values[r])} strokeWidth={1.6} strokeOpacity={0.85}><title>{`run #${runIds[r]}: ${formatValue(values[r])}`}</title></polyline>;
      })}
      {axes.map((a, i) => (
        <g key={a.name}>
          <line x1={x(i)} x2={x(i)} y1={PAD.top} y2={H - PAD.bottom} stroke="#3a4a61" />
          <text x={x(i)} y={H - 12} textAnchor="middle" className="parallel-name">{a.name}</text>
          {a.ticks.map((t) => <text key={t.label} x={x(i) + 6} y={t.y + 4} className="parallel-tick">{t.label}</text>)}
        </g>
      ))}
    </svg>
  );
}

export { formatValue };
