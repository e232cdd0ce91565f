/**
 * A project's runs as points, accuracy against parameters, FLOPs, file size or CPU latency
 * (log scale), the Pareto-optimal ones marked and joined: which models are worth keeping.
 * In the spirit of Sony Neural Network Console's trade-off graph.
 */
import { useMemo, useState } from "react";
import { useProjectRuns } from "../../api/queries";
import type { Run } from "../../api/types";
import { formatBytes, formatCount } from "../../lib/format";
import { navigate } from "../../router";
import { AXES, pointsOf, type Axis, type Point } from "./tradeoff";

const W = 640, H = 300, PAD = { left: 56, right: 16, top: 12, bottom: 40 };

function fmt(axis: Axis, v: number): string {
  if (axis === "file_bytes") return formatBytes(v);
  if (axis.startsWith("latency")) return `${v.toPrecision(2)} ms`;
  return formatCount(v);
}

function scales(points: Point[]) {
  const xs = points.map((p) => Math.log10(p.x));
  const ys = points.map((p) => p.accuracy);
  const [x0, x1] = [Math.min(...xs) - 0.1, Math.max(...xs) + 0.1];
  const [y0, y1] = [Math.min(...ys) - 0.01, Math.min(1, Math.max(...ys) + 0.01)];
  return {
    x: (v: number) => PAD.left + ((Math.log10(v) - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right),
    y: (v: number) => H - PAD.bottom - ((v - y0) / (y1 - y0 || 1)) * (H - PAD.top - PAD.bottom),
    xTicks: [x0, (x0 + x1) / 2, x1].map((t) => 10 ** t),
    yTicks: [y0, (y0 + y1) / 2, y1],
  };
}

export function TradeOffChart({ projectId }: { projectId: number }) {
  const [axis, setAxis] = useState<Axis>("params");
  const { data } = useProjectRuns(projectId);
  const points = useMemo(() => pointsOf((data ?? []).filter((r: Run) => r.state === "succeeded"), axis), [data, axis]);
  if (!data) return null;
  const s = points.length ? scales(points) : null;
  const front = points.filter((p) => p.pareto).sort((a, b) => a.x - b.x);
  return (
    <div className="card tradeoff" data-testid="tradeoff">
      <div className="page-head">
        <h3>Trade-off: accuracy against {AXES.find((a) => a.key === axis)?.label.toLowerCase()}</h3>
        <select value={axis} onChange={(e) => setAxis(e.target.value as Axis)} data-testid="tradeoff-axis">
          {AXES.map((a) => <option key={a.key} value={a.key}>{a.label}</option>)}
        </select>
      </div>
      {!s ? <p className="muted small">No run has a test accuracy and this figure yet: compress or evaluate a finished run.</p> : (
        <svg width={W} height={H} role="img" aria-label="trade-off chart">
          <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} stroke="currentColor" opacity={0.3} />
          <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} stroke="currentColor" opacity={0.3} />
          {s.xTicks.map((t) => <text key={`x${t}`} x={s.x(t)} y={H - PAD.bottom + 16} fontSize={11} textAnchor="middle" fill="currentColor">{fmt(axis, t)}</text>)}
          {s.yTicks.map((t) => <text key={`y${t}`} x={PAD.left - 6} y={s.y(t) + 4} fontSize={11} textAnchor="end" fill="currentColor">{(t * 100).toFixed(1)}%</text>)}
          <text x={(W + PAD.left) / 2} y={H - 6} fontSize={11} textAnchor="middle" fill="currentColor" opacity={0.7}>{AXES.find((a) => a.key === axis)?.label} (log scale)</text>
          <polyline points={front.map((p) => `${s.x(p.x)},${s.y(p.accuracy)}`).join(" ")} fill="none" stroke="#34d399" strokeDasharray="4 3" />
          {points.map((p, i) => (
            <circle key={i} cx={s.x(p.x)} cy={s.y(p.accuracy)} r={p.pareto ? 6 : 4} data-testid={p.pareto ? "pareto-point" : "tradeoff-point"}
              fill={p.pareto ? "#34d399" : p.kind === "source" ? "#94a3b8" : "#60a5fa"} stroke="#0f172a" style={{ cursor: "pointer" }}
              onClick={() => navigate(`/runs/${p.run}`)}>
              <title>{`${p.label}: ${(p.accuracy * 100).toFixed(2)}% at ${fmt(axis, p.x)}${p.pareto ? " (Pareto-optimal)" : ""}`}</title>
            </circle>
          ))}
        </svg>
      )}
      <p className="muted small">Green: Pareto-optimal (no other run is as small and as accurate). Grey: the source a compress run started from.</p>
    </div>
  );
}
