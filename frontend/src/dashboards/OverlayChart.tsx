/**
 * One metric, every selected run overlaid (uPlot). Charts built with the same
 * `sync` key move their cursors together: hovering a step on the loss chart
 * shows the same step on the accuracy chart.
 */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import { markScale } from "../components/runs/Chart";

const HEIGHT = 240;
// Past this many runs the legend would be taller than the chart; hover still shows the cursor.
const LEGEND_RUNS = 12;
const AXIS = { stroke: "#9aa4b2", grid: { stroke: "#1f2733" }, ticks: { stroke: "#1f2733" } };

export interface OverlayProps {
  title: string;
  labels: string[];
  colours: string[];
  data: (number | null)[][];
  xLabel: string;
  log: boolean;
  sync: string;
  testId?: string;
  /** A fixed y range (percentages: 0-100) instead of fitting the data. */
  range?: [number, number];
}

export function OverlayChart({ title, labels, colours, data, xLabel, log, sync, testId, range }: OverlayProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${labels.join("|")}#${colours.join("|")}#${log}#${xLabel}#${range ?? ""}`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: el.clientWidth || 520,
      height: HEIGHT,
      legend: { show: labels.length <= LEGEND_RUNS, live: true },
      cursor: { sync: { key: sync, setSeries: true }, focus: { prox: 24 } },
      focus: { alpha: 0.35 },
      scales: { x: { time: false }, y: log ? { distr: 3 } : range ? { range } : {} },
      axes: [{ ...AXIS, label: xLabel, labelSize: 18 }, { ...AXIS, size: 64 }],
      series: [{ label: xLabel }, ...labels.map((label, i) => ({ label, stroke: colours[i], width: 1.6, spanGaps: true }))],
      // When the chart was first drawn (ms since the epoch): the benchmarks read it.
      hooks: { draw: [(u) => {
        const boxEl = u.root.parentElement;
        if (boxEl && !boxEl.dataset.drawn) boxEl.dataset.drawn = String(performance.timeOrigin + performance.now());
      }, markScale] },
    };
    plot.current = new uPlot(opts, data as uPlot.AlignedData, el);
    const resize = () => plot.current?.setSize({ width: el.clientWidth, height: HEIGHT });
    const observer = new ResizeObserver(resize);
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt when the set of lines or the scale changes; new data goes through setData.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, sync]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  const drawn = data.slice(1).filter((col) => col.some((v) => v !== null)).length;
  return (
    <div className="card dash-chart" data-testid={testId} data-lines={drawn}>
      <div className="chart-title">{title}</div>
      <div ref={box} className="chart-box" />
    </div>
  );
}
