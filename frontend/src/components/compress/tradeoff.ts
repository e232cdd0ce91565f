/**
 * The trade-off chart's data: a project's runs as points (accuracy against size, FLOPs or
 * latency) and the Pareto-optimal ones among them. A compress run gives two points: its
 * compressed model and its source, measured in the same job (the `source_` figures).
 */
import type { Run } from "../../api/types";

export type Axis = "params" | "flops" | "file_bytes" | "latency_b1_ms" | "latency_b64_ms";

export const AXES: { key: Axis; label: string }[] = [
  { key: "params", label: "Parameters" },
  { key: "flops", label: "FLOPs" },
  { key: "file_bytes", label: "File size" },
  { key: "latency_b1_ms", label: "CPU latency, batch 1" },
  { key: "latency_b64_ms", label: "CPU latency, batch 64" },
];

export interface Point {
  run: number;
  label: string;
  kind: string;
  x: number;
  accuracy: number;
  pareto: boolean;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The figure on `axis` in a summary (an evaluation names its file `checkpoint_bytes`). */
function figure(summary: Record<string, unknown>, axis: Axis, prefix = ""): number | null {
  const direct = num(summary[`${prefix}${axis}`]);
  if (direct !== null || axis !== "file_bytes") return direct;
  return num(summary[`${prefix}checkpoint_bytes`]);
}

/** Every run with a test accuracy and a figure on `axis`, as points (Pareto flags set). */
export function pointsOf(runs: Run[], axis: Axis): Point[] {
  const points: Point[] = [];
  for (const run of runs) {
    const s = run.summary ?? {};
    const name = `#${run.id}${run.name ? ` ${run.name}` : ""}`;
    const acc = num(s.test_accuracy);
    const x = figure(s, axis);
    if (acc !== null && x !== null && x > 0) points.push({ run: run.id, label: name, kind: run.kind ?? "train", x, accuracy: acc, pareto: false });
    const srcAcc = num(s.source_test_accuracy);
    const srcX = figure(s, axis, "source_");
    if (srcAcc !== null && srcX !== null && srcX > 0) {
      points.push({ run: run.id, label: `${name} (its source)`, kind: "source", x: srcX, accuracy: srcAcc, pareto: false });
    }
  }
  return markPareto(points);
}

/** A point is Pareto-optimal when no other is at least as small and as accurate, and better in one. */
export function markPareto(points: Point[]): Point[] {
  return points.map((p) => ({
    ...p,
    pareto: !points.some((q) => q !== p && q.x <= p.x && q.accuracy >= p.accuracy && (q.x < p.x || q.accuracy > p.accuracy)),
  }));
}
