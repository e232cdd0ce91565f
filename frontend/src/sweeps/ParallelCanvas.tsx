/**
 * Parallel coordinates for a sweep's trials, drawn on a canvas: the dashboards' SVG version
 * (one element per line) is right for a hundred runs, but 10,000 trials would be 10,000 SVG
 * elements to lay out and paint. The axes are the dashboards' own (makeAxis: log axes for
 * rates, categories for choices); bright lines are the better trials.
 */
import { useEffect, useRef } from "react";
import { makeAxis } from "../dashboards/ParallelCoords";

const W = 1000;
const H = 300;
const SIDE = 60;

export function ParallelCanvas({ params, metric, values, goal }: {
  params: { name: string; values: unknown[] }[]; metric: string; values: number[]; goal: "min" | "max";
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext("2d");
    if (!canvas || !ctx) return;
    const axes = [...params.map((p) => makeAxis(p.name, p.values)), makeAxis(metric, values)];
    const x = (i: number) => SIDE + (axes.length === 1 ? 0 : (i / (axes.length - 1)) * (W - 2 * SIDE));
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    ctx.clearRect(0, 0, W, H);
    ctx.lineWidth = 1;
    // Worst first, so the best lines are drawn on top.
    const order = values.map((_, i) => i).sort((a, b) => (goal === "max" ? values[a] - values[b] : values[b] - values[a]));
    ctx.globalAlpha = values.length > 2000 ? 0.35 : 0.8;
    for (const r of order) {
      const good = hi === lo ? 1 : goal === "max" ? (values[r] - lo) / (hi - lo) : (hi - values[r]) / (hi - lo);
      ctx.strokeStyle = `hsl(${20 + good * 190} 80% ${45 + good * 15}%)`;
      ctx.beginPath();
      axes.forEach((a, i) => {
        const y = a.position(i < params.length ? params[i].values[r] : values[r]);
        if (y === null) return;
        if (i === 0) ctx.moveTo(x(i), y);
        else ctx.lineTo(x(i), y);
      });
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    ctx.font = "11px sans-serif";
    axes.forEach((a, i) => {
      ctx.strokeStyle = "#3a4a61";
      ctx.beginPath();
      ctx.moveTo(x(i), 28);
      ctx.lineTo(x(i), H - 36);
      ctx.stroke();
      ctx.fillStyle = "#cbd5e1";
      ctx.textAlign = "center";
      ctx.fillText(a.name, x(i), H - 12);
      ctx.textAlign = "left";
      ctx.fillStyle = "#9fb0c8";
      for (const t of a.ticks) ctx.fillText(t.label, x(i) + 6, t.y + 4);
    });
    canvas.dataset.drawn = String(values.length);
  }, [params, metric, values, goal]);
  return <canvas ref={ref} width={W} height={H} className="parallel" data-testid="parallel-coords"
    role="img" aria-label={`Parameters against ${metric}`} style={{ width: "100%" }} />;
}
