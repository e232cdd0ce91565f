/**
 * What the run page shows below its curves: confusion matrix heatmap,
 * per-class precision / recall / F1, system metrics, the model's parameters
 * and FLOPs per node, checkpoints to download. Refreshed by the run's SSE events.
 */
import { useMemo } from "react";
import { formatBytes, formatCount, formatShape } from "../lib/format";
import { ErrorNote } from "../components/ui/Spinner";
import { series } from "../api/endpoints";
import { dashboards } from "./api";
import { align, prepare } from "./chartData";
import { OverlayChart } from "./OverlayChart";
import { EnsembleMembers, ImageGrids } from "./RecipeInsights";
import { useInsights, useSystemSeries } from "./queries";
import { errorText } from "../api/queries";
import type { Insights } from "./types";
import "./dashboards.css";

export function ConfusionMatrix({ matrix }: { matrix: NonNullable<Insights["confusion_matrix"]> }) {
  const rows = matrix.data;
  const labels = matrix.labels ?? rows.map((_, i) => String(i));
  const peak = Math.max(1, ...rows.flat());
  return (
    <div className="cm-wrap">
      <div className="cm" data-testid="confusion-matrix" style={{ gridTemplateColumns: `64px repeat(${rows.length}, minmax(22px, 52px))` }}>
        <div className="cm-corner muted small">true ↓ / pred →</div>
        {labels.map((l) => <div key={`h${l}`} className="cm-label">{l}</div>)}
        {rows.map((row, i) => [
          <div key={`r${i}`} className="cm-label">{labels[i]}</div>,
          ...row.map((v, j) => {
            const share = v / peak;
            const colour = i === j ? `rgba(52, 211, 153, ${0.12 + share * 0.88})` : `rgba(248, 113, 113, ${v ? 0.15 + share * 0.85 : 0})`;
            return <div key={`${i}-${j}`} className="cm-cell" style={{ background: colour }} title={`true ${labels[i]}, predicted ${labels[j]}: ${v}`}>{v}</div>;
          }),
        ])}
      </div>
      <p className="muted small">{matrix.kind.startsWith("test_") ? "Test set" : "Latest validation"}{matrix.step !== null ? `, step ${matrix.step}` : ""}</p>
    </div>
  );
}

function PerClass({ per }: { per: NonNullable<Insights["per_class"]> }) {
  const d = per.data;
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  return (
    <table className="table compact" data-testid="per-class">
      <thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead>
      <tbody>
        {d.labels.map((l, i) => (
          <tr key={l}><td>{l}</td><td>{pct(d.precision[i])}</td><td>{pct(d.recall[i])}</td><td>{pct(d.f1[i])}</td><td>{d.support[i]}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

/** Where confidence and accuracy part: the bins that hold predictions, as bars of both. */
function Reliability({ cal }: { cal: NonNullable<Insights["calibration"]> }) {
  const d = cal.data;
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  return (
    <>
      <p className="muted small">Expected calibration error <b data-testid="ece">{pct(d.ece)}</b>: the average gap between how sure the model is and how often it is right.</p>
      <table className="table compact" data-testid="calibration">
        <thead><tr><th>confidence</th><th className="num">predictions</th><th className="num">mean confidence</th><th className="num">accuracy</th></tr></thead>
        <tbody>
          {d.count.map((n, i) => n > 0 && (
            <tr key={i}><td>{pct(d.lower[i])}–{pct(d.upper[i])}</td><td className="num">{n}</td><td className="num">{pct(d.confidence[i])}</td><td className="num">{pct(d.accuracy[i])}</td></tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** Percentages on a fixed 0-100 axis: a CPU at 99.9-100 % is busy, not swinging wildly. */
const PERCENT: [number, number] = [0, 100];

function SystemCharts({ run, keys }: { run: number; keys: string[] }) {
  const series = useSystemSeries(run, keys);
  const charts = useMemo(() => (series.data?.runs[0]?.series ?? []).map((line) => ({
    key: line.key, data: align([prepare(line, "time", null, 0, false)]),
  })), [series.data]);
  return (
    <div className="dash-charts">
      {charts.map((c) => (
        <OverlayChart key={c.key} title={c.key.replace("system/", "")} labels={[c.key]} colours={["#a78bfa"]} data={c.data}
          xLabel="seconds since start" log={false} sync={`system-${run}`} testId={`system-${c.key.replace("system/", "")}`}
          range={c.key.endsWith("_percent") ? PERCENT : undefined} />
      ))}
    </div>
  );
}

function ModelSummary({ model }: { model: Insights["model"] }) {
  return (
    <>
      <div className="facts-row">
        <div><span className="muted">parameters</span> {formatCount(model.totals.params)}</div>
        <div><span className="muted">FLOPs / sample</span> {formatCount(model.totals.flops)}</div>
        <div><span className="muted">activations / sample</span> {formatBytes(model.totals.memory)}</div>
      </div>
      {!model.ok && <ErrorNote message={model.errors.map((e) => e.message).join("; ") || "The graph does not validate."} />}
      <table className="table compact" data-testid="model-summary">
        <thead><tr><th>node</th><th>op</th><th>output</th><th className="num">params</th><th className="num">FLOPs</th></tr></thead>
        <tbody>
          {model.nodes.map((n) => (
            <tr key={n.id}><td><code>{n.id}</code></td><td>{n.op}</td><td>{n.output ? formatShape(n.output) : "–"}</td>
              <td className="num">{formatCount(n.params)}</td><td className="num">{formatCount(n.flops)}</td></tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function RunInsights({ runId }: { runId: number }) {
  const insights = useInsights(runId);
  const data = insights.data;
  if (!data) return <ErrorNote message={errorText(insights.error)} />;
  const systemKeys = data.system.map((s) => s.key);
  return (
    <div className="run-insights" data-testid="run-insights">
      {data.ensemble && <><h2>Ensemble</h2><EnsembleMembers ensemble={data.ensemble} /></>}
      {data.images?.length ? <><h2>Images</h2><ImageGrids images={data.images} /></> : null}
      {(data.confusion_matrix || data.per_class) && (
        <>
          <h2>Classes</h2>
          <div className="insight-grid">
            {data.confusion_matrix && <div className="card"><h3>Confusion matrix</h3><ConfusionMatrix matrix={data.confusion_matrix} /></div>}
            {data.per_class && <div className="card"><h3>Precision, recall, F1</h3><PerClass per={data.per_class} /></div>}
            {data.calibration && <div className="card"><h3>Calibration</h3><Reliability cal={data.calibration} /></div>}
          </div>
        </>
      )}
      {systemKeys.length > 0 && (
        <>
          <h2>System</h2>
          <SystemCharts run={runId} keys={systemKeys} />
        </>
      )}
      <h2>Model</h2>
      <ModelSummary model={data.model} />
      <h2>Checkpoints</h2>
      {data.checkpoints.length === 0 ? <p className="muted">No checkpoints yet (written at an epoch&apos;s end every few seconds, set by checkpoint_seconds, and at the end).</p> : (
        <table className="table compact" data-testid="checkpoints">
          <thead><tr><th>file</th><th>epoch</th><th>step</th><th>size</th><th /></tr></thead>
          <tbody>
            {data.checkpoints.map((c) => (
              <tr key={c.name}>
                <td><code>{c.name}</code> {c.best && <span className="tag">best</span>}</td><td>{c.epoch ?? "–"}</td><td>{c.step ?? "–"}</td>
                <td>{formatBytes(c.size)}</td><td><a href={dashboards.checkpointUrl(runId, c.name)} download>Download</a></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p><a href={series.csvUrl([runId])} download>Export every metric point as CSV</a></p>
    </div>
  );
}
