/**
 * From the compare answer to what uPlot draws: smoothing, the x axis, and one
 * aligned table of all runs' lines.
 *
 * uPlot wants one x array shared by every line. The server's M4 points of
 * different runs rarely share steps, so a hundred runs would give a union of
 * ~100,000 x values and a 10-million-cell table. Past MAX_EXACT x values the
 * lines are placed on a grid of GRID cells instead (finer than a pixel at any
 * chart width); where one run has several points in a cell, the one farthest
 * from the cell's mean is kept, so a spike survives as the server kept it.
 */
import type { SeriesLine } from "../api/types";
import type { CompareRun } from "./types";

export type XMode = "step" | "epoch" | "time";
export const MAX_EXACT = 4000;
export const GRID = 2000;

/** Exponential moving average with TensorBoard's debiasing (the first points are not pulled to 0). */
export function ema(values: number[], weight: number): number[] {
  if (weight <= 0) return values;
  const out = new Array<number>(values.length);
  let last = 0;
  let steps = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    steps++;
    out[i] = last / (1 - Math.pow(weight, steps));
  }
  return out;
}

/** x values of one line: steps, epochs (step / steps per epoch), or seconds since the run's first point. */
export function xValues(line: SeriesLine, mode: XMode, stepsPerEpoch: number | null): number[] {
  if (mode === "time" && line.time) {
    const time = line.time;
    const t0 = time.length ? Math.min(...time.slice(0, 64)) : 0;
    return time.map((t) => t - t0);
  }
  if (mode === "epoch" && stepsPerEpoch) return line.step.map((s) => s / stepsPerEpoch);
  return line.step;
}

export interface XY {
  x: number[];
  y: number[];
}

/** The line's points sorted by x (time can reorder them), smoothed, ≤ 0 dropped on a log scale. */
export function prepare(line: SeriesLine, mode: XMode, stepsPerEpoch: number | null, smoothing: number, log: boolean): XY {
  const xs = xValues(line, mode, stepsPerEpoch);
  const order = xs.map((_, i) => i);
  if (mode === "time") order.sort((a, b) => xs[a] - xs[b]);
  const x = order.map((i) => xs[i]);
  const y = ema(order.map((i) => line.value[i]), smoothing);
  if (!log) return { x, y };
  const keep = y.map((v) => v > 0);
  return { x: x.filter((_, i) => keep[i]), y: y.filter((_, i) => keep[i]) };
}

/** [xs, ys of line 0, ys of line 1, ...] with null where a line has no point. */
export function align(lines: XY[]): (number | null)[][] {
  const all = new Set<number>();
  for (const l of lines) for (const x of l.x) all.add(x);
  if (all.size <= MAX_EXACT) {
    const xs = [...all].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    return [xs, ...lines.map((l) => {
      const col: (number | null)[] = new Array(xs.length).fill(null);
      l.x.forEach((x, i) => (col[index.get(x)!] = l.y[i]));
      return col;
    })];
  }
  return alignOnGrid(lines, [...all]);
}

function alignOnGrid(lines: XY[], all: number[]): (number | null)[][] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of all) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const width = (hi - lo) / (GRID - 1) || 1;
  const xs = Array.from({ length: GRID }, (_, i) => lo + i * width);
  const cols = lines.map((l) => {
    const col: (number | null)[] = new Array(GRID).fill(null);
    let i = 0;
    while (i < l.x.length) {
      const cell = Math.round((l.x[i] - lo) / width);
      let j = i;
      let sum = 0;
      while (j < l.x.length && Math.round((l.x[j] - lo) / width) === cell) sum += l.y[j++];
      const mean = sum / (j - i);
      let pick = l.y[i];
      for (let k = i + 1; k < j; k++) if (Math.abs(l.y[k] - mean) > Math.abs(pick - mean)) pick = l.y[k];
      col[cell] = pick;
      i = j;
    }
    return col;
  });
  return [xs, ...cols];
}

/** Every run's line for one metric key, ready for align(). */
export function linesFor(runs: CompareRun[], key: string, mode: XMode, smoothing: number, log: boolean): (XY | null)[] {
  return runs.map((run) => {
    const line = run.series.find((s) => s.key === key);
    return line ? prepare(line, mode, run.steps_per_epoch, smoothing, log) : null;
  });
}

/** A colour per run that stays the same when runs are added: from the run id. */
export const PALETTE = ["#60a5fa", "#f59e0b", "#34d399", "#f472b6", "#a78bfa", "#f87171", "#22d3ee", "#facc15",
  "#4ade80", "#fb923c", "#c084fc", "#94a3b8"];
export function runColour(index: number): string {
  if (index < PALETTE.length) return PALETTE[index];
  return `hsl(${(index * 137.508) % 360} 70% 62%)`;
}
