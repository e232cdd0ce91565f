/** A line chart (uPlot) of one or more metric lines, aligned on the step axis. */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import type { Line } from "../../stores/runs";

const COLOURS = ["#60a5fa", "#f59e0b", "#34d399", "#f472b6", "#a78bfa", "#f87171"];

/** Tick labels that stay distinct for small values (learning rates) and short for big ones. */
export function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (v === 0) return "0";
  if (a < 0.01) return v.toExponential(1);
  if (a >= 10000) return `${(v / 1000).toFixed(a >= 100000 ? 0 : 1)}k`;
  return String(Number(v.toPrecision(3)));
}

/** The fewest decimals that write `step` exactly (uPlot's increments: 1, 2, 2.5, 5 × 10^n). */
function decimalsOf(step: number): number {
  for (let d = 0; d < 15; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(Math.round(scaled) - scaled) < 1e-6 * Math.max(1, scaled)) return d;
  }
  return 15;
}

/**
 * An axis's tick labels, all written alike: the same decimals (learning rates:
 * 0.0002, 0.0004, ... not 2.0e-4 beside 1.0e-3), one exponent when they would
 * be too long, thousands as `k`.
 */
export function tickLabels(values: number[]): string[] {
  const finite = values.filter(Number.isFinite);
  const gaps = finite.slice(1).map((v, i) => Math.abs(v - finite[i])).filter((g) => g > 0);
  if (!gaps.length) return values.map(tickLabel);
  const step = Math.min(...gaps);
  const big = Math.max(...finite.map(Math.abs));
  if (big >= 10000) {
    const d = decimalsOf(step / 1000);
    return values.map((v) => `${(v / 1000).toFixed(Math.min(d, 3))}k`);
  }
  const decimals = decimalsOf(step);
  if (decimals <= 5) return values.map((v) => v.toFixed(decimals));
  const exponent = Math.floor(Math.log10(big));
  const d = Math.min(decimalsOf(step / 10 ** exponent), 6);
  return values.map((v) => (v === 0 ? "0" : `${(v / 10 ** exponent).toFixed(d)}e${exponent}`));
}

/** uPlot wants one x array: the union of steps, null where a line has no point. */
export function alignLines(lines: Line[]): (number | null)[][] {
  const xs = [...new Set(lines.flatMap((l) => l.steps))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = lines.map((l) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    l.steps.forEach((s, i) => (col[index.get(s)!] = l.values[i]));
    return col;
  });
  return [xs, ...ys];
}

const HEIGHT = 220;

/**
 * A rate's y range: from 0 to a little above its highest point. Fitted to the data, a steady
 * rate's 2 % wobble would fill the whole chart and read as jumps.
 */
export function fromZero(_u: unknown, _min: number | null, max: number | null): [number, number] {
  return [0, max !== null && max > 0 ? max * 1.1 : 1];
}

/** The y range drawn, on the chart's box (data-y-min / data-y-max): what a person reads off the axis. */
export function markScale(u: uPlot): void {
  const box = u.root.parentElement;
  if (!box) return;
  box.dataset.yMin = String(u.scales.y?.min);
  box.dataset.yMax = String(u.scales.y?.max);
}

interface ChartProps {
  title: string;
  keys: string[];
  lines: Line[];
  testId?: string;
  /** A fixed y range (percentages: 0-100) instead of fitting the data. */
  range?: [number, number];
  /** The y axis starts at 0 (rates such as samples/s). */
  zeroBased?: boolean;
  /** Shown while no line has a point (what the run is doing meanwhile). */
  empty?: string;
}

export function Chart({ title, keys, lines, testId, range, zeroBased, empty }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = keys.join(",");

  useEffect(() => {
    if (!box.current) return;
    const opts: uPlot.Options = {
      width: box.current.clientWidth || 480,
      height: HEIGHT,
      legend: { show: true },
      scales: { x: { time: false }, ...(range ? { y: { range } } : zeroBased ? { y: { range: fromZero } } : {}) },
      axes: [
        { stroke: "#9aa4b2", grid: { stroke: "#1f2733" }, ticks: { stroke: "#1f2733" } },
        { stroke: "#9aa4b2", grid: { stroke: "#1f2733" }, ticks: { stroke: "#1f2733" }, size: 64, values: (_u, vals) => tickLabels(vals) },
      ],
      series: [{ label: "step" }, ...keys.map((k, i) => ({ label: k, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true }))],
      hooks: { draw: [markScale] },
    };
    plot.current = new uPlot(opts, alignLines(lines.filter(Boolean)) as uPlot.AlignedData, box.current);
    const resize = () => box.current && plot.current?.setSize({ width: box.current.clientWidth, height: HEIGHT });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      plot.current?.destroy();
      plot.current = null;
    };
    // The plot is rebuilt only when its set of lines changes; new points go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(alignLines(lines.filter(Boolean)) as uPlot.AlignedData);
  }, [lines]);

  const points = lines.reduce((n, l) => n + (l?.steps.length ?? 0), 0);
  // The card keeps its size from the first render: charts filling in do not move the page.
  return (
    <div className="chart card" data-testid={testId} data-points={points}>
      <div className="chart-title">{title}</div>
      <div ref={box} className="chart-box">
        {points === 0 && <div className="chart-empty muted" data-testid={testId && `${testId}-empty`}>{empty ?? "No points yet"}</div>}
      </div>
    </div>
  );
}
