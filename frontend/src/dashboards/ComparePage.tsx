/**
 * Compare runs side by side (/compare?runs=1,2,3): one chart per metric with
 * the runs overlaid, EMA smoothing, x by step / epoch / wall time, log scale,
 * synchronised hover; then the hyperparameters that differ, best/last per
 * metric, the architecture diff, and parallel coordinates.
 */
import { useMemo, useState } from "react";
import { Link, usePath } from "../router";
import { ErrorNote, Spinner } from "../components/ui/Spinner";
import { StateBadge } from "../components/runs/RunList";
import { series } from "../api/endpoints";
import { align, linesFor, runColour, type XMode } from "./chartData";
import { ArchitectureDiff, HparamTable, MetricTable } from "./CompareTables";
import { OverlayChart } from "./OverlayChart";
import { ParallelCoords } from "./ParallelCoords";
import { useCompare } from "./queries";
import { errorText } from "../api/queries";
import type { CompareAnswer } from "./types";
import { pointsFrom, runIdsFrom } from "./params";
import "./dashboards.css";

const X_LABELS: Record<XMode, string> = { step: "step", epoch: "epoch", time: "seconds since start" };

function Charts({ answer, smoothing, x, log }: { answer: CompareAnswer; smoothing: number; x: XMode; log: boolean }) {
  const colours = answer.runs.map((_, i) => runColour(i));
  const charts = useMemo(() => answer.keys.map((key) => {
    const lines = linesFor(answer.runs, key, x, smoothing, log);
    const present = lines.map((l, i) => [l, i] as const).filter(([l]) => l !== null);
    return {
      key,
      data: align(present.map(([l]) => l!)),
      labels: present.map(([, i]) => `#${answer.runs[i].id}${answer.runs[i].name ? ` ${answer.runs[i].name}` : ""}`),
      colours: present.map(([, i]) => colours[i]),
    };
  }), [answer, smoothing, x, log]); // eslint-disable-line react-hooks/exhaustive-deps
  if (!charts.length) return <p className="muted">These runs have no metrics yet.</p>;
  return (
    <div className="dash-charts">
      {charts.map((c) => (
        <OverlayChart key={c.key} title={c.key} labels={c.labels} colours={c.colours} data={c.data}
          xLabel={X_LABELS[x]} log={log} sync="compare" testId={`compare-chart-${c.key}`} />
      ))}
    </div>
  );
}

interface View {
  smoothing: number;
  x: XMode;
  log: boolean;
}

function CompareControls({ view, setView, noEpochs, onExport }: { view: View; setView: (p: Partial<View>) => void; noEpochs: boolean; onExport: () => void }) {
  return (
    <div className="dash-controls card">
      <label className="control">Smoothing <input type="range" min={0} max={0.99} step={0.01} value={view.smoothing}
        aria-label="Smoothing" onChange={(e) => setView({ smoothing: Number(e.target.value) })} /> <span className="mono">{view.smoothing.toFixed(2)}</span></label>
      <label className="control">x axis <select aria-label="x axis" value={view.x} onChange={(e) => setView({ x: e.target.value as XMode })}>
        <option value="step">step</option><option value="epoch">epoch</option><option value="time">wall time</option>
      </select></label>
      <label className="control"><input type="checkbox" checked={view.log} onChange={(e) => setView({ log: e.target.checked })} /> log scale</label>
      {noEpochs && <span className="muted small">runs without a finished epoch are drawn by step</span>}
      <button className="btn" onClick={onExport}>Export CSV</button>
    </div>
  );
}

function CompareHead({ answer, colours }: { answer: CompareAnswer; colours: string[] }) {
  return (
    <div className="page-head">
      <h1>Compare runs</h1>
      <div className="run-chips">
        {answer.runs.map((r, i) => (
          <Link key={r.id} to={`/runs/${r.id}`} className="run-chip">
            <span className="swatch" style={{ background: colours[i] }} />#{r.id} <StateBadge state={r.state} />
          </Link>
        ))}
      </div>
    </div>
  );
}

export function ComparePage() {
  const path = usePath();
  const search = path.includes("?") ? path.slice(path.indexOf("?")) : "";
  const ids = useMemo(() => runIdsFrom(search), [search]);
  const points = pointsFrom(search);
  const [view, setViewState] = useState<View>({ smoothing: 0, x: "step", log: false });
  const setView = (patch: Partial<View>) => setViewState((v) => ({ ...v, ...patch }));
  const { smoothing, x, log } = view;
  const [metric, setMetric] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  // Wall times come only with x=time (a third less to send otherwise).
  const serverX = x === "time" ? "time" : "step";
  const live = useCompare(ids, serverX, points);
  const answer = live.data;
  const loadError = errorText(live.error);

  if (!ids.length)
    return <div className="content"><p>Pick runs to compare in a project's runs table.</p><Link to="/">Projects</Link></div>;
  if (!answer) return loadError ? <div className="content"><ErrorNote message={loadError} /></div> : <Spinner label="Loading the runs" />;

  const colours = answer.runs.map((_, i) => runColour(i));
  const chosen = metric ?? answer.keys.find((k) => k.startsWith("val/")) ?? answer.keys[0];
  const summary = answer.metrics.find((m) => m.key === chosen);
  const project = answer.runs[0]?.project;
  const noEpochs = x === "epoch" && answer.runs.some((r) => !r.steps_per_epoch);
  const exportCsv = () => series.downloadCsv(ids, answer.keys).catch((e: Error) => setExportError(e.message));
  return (
    <div className="content content-wide compare-page">
      <div className="crumbs">
        {project && <><Link to={`/projects/${project}/runs`}>Runs</Link> / </>}Compare {ids.length} runs
      </div>
      <CompareHead answer={answer} colours={colours} />
      <ErrorNote message={loadError ?? exportError} />
      <CompareControls view={view} setView={setView} noEpochs={noEpochs} onExport={exportCsv} />
      <Charts answer={answer} smoothing={smoothing} x={x} log={log} />
      <h2>Hyperparameters that differ</h2>
      <HparamTable answer={answer} colours={colours} />
      <h2>Metrics</h2>
      <MetricTable answer={answer} colours={colours} />
      <h2>Architecture</h2>
      <ArchitectureDiff answer={answer} />
      {summary && answer.runs.length > 1 && (
        <>
          <h2>Hyperparameters against <select aria-label="Metric for parallel coordinates" value={chosen}
            onChange={(e) => setMetric(e.target.value)}>{answer.keys.map((k) => <option key={k}>{k}</option>)}</select></h2>
          <div className="card">
            <ParallelCoords hparams={answer.hparams} metric={`best ${chosen}`} values={summary.best} goal={summary.goal}
              runIds={answer.runs.map((r) => r.id)} />
          </div>
        </>
      )}
    </div>
  );
}
