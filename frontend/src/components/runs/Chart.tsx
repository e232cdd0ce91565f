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

export function Chart({ title, keys, lines, testId }: { title: string; keys: string[]; lines: Line[]; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = keys.join(",");

  useEffect(() => {
    if (!box.current) return;
    const opts: uPlot.Options = {
      width: box.current.clientWidth || 480,
      height: 220,
      legend: { show: true },
      scales: { x: { time: false } },
      axes: [
        { stroke: "#9aa4b2", grid: { stroke: "#1f2733" }, ticks: { stroke: "#1f2733" } },
        { stroke: "#9aa4b2", grid: { stroke: "#1f2733" }, ticks: { stroke: "#1f2733" }, size: 60, values: (_u, vals) => vals.map(tickLabel) },
      ],
      series: [{ label: "step" }, ...keys.map((k, i) => ({ label: k, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true }))],
    };
    plot.current = new uPlot(opts, alignLines(lines) as uPlot.AlignedData, box.current);
    const resize = () => box.current && plot.current?.setSize({ width: box.current.clientWidth, height: 220 });
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
    plot.current?.setData(alignLines(lines) as uPlot.AlignedData);
  }, [lines]);

  const points = lines.reduce((n, l) => n + l.steps.length, 0);
  return (
    <div className="chart card" data-testid={testId} data-points={points}>
      <div className="chart-title">{title}</div>
      <div ref={box} className="chart-box" />
    </div>
  );
}
