/** A run, live: state, curves (loss, accuracy, learning rate, throughput), log tail, actions. */
import { useEffect, useMemo, useState } from "react";
import { runs, series } from "../api/endpoints";
import { Link, navigate } from "../router";
import { phaseText, pointsFromSeries, runsStore, TERMINAL, useRun, type Line } from "../stores/runs";
import { useRunEvents } from "../components/runs/useRunEvents";
import { Chart } from "../components/runs/Chart";
import { StateBadge } from "../components/runs/RunList";
import { ErrorNote, Spinner } from "../components/ui/Spinner";
import { formatTime } from "../lib/format";
import type { JobKind, Run } from "../api/types";
import { CloneDialog, DerivedRuns, FromRunDialog, JobButtons, RunSummary } from "../components/jobs/RunJobs";
import { RunInsights } from "../dashboards/RunInsights";
import { CompressReport } from "../components/compress/CompressReport";
import { DistillDialog } from "../components/compress/DistillDialog";

/**
 * The run's charts, in fixed places from the start (a chart filling in moves
 * nothing): per-step loss apart from the per-epoch losses, whose points stand
 * for a whole epoch and would float above a per-step curve.
 */
const CHARTS: [string, (key: string) => boolean][] = [
  ["Loss", (k) => k === "train/loss"],
  ["Loss per epoch", (k) => k === "train/epoch_loss" || k === "val/loss"],
  ["Accuracy", (k) => k.split("/").pop()!.includes("acc")],
  ["Learning rate", (k) => /(^|\/)(lr|learning_rate)$/.test(k)],
  ["Throughput", (k) => /throughput|per_sec|samples_s/.test(k)],
];
/** Charts of rates, drawn from 0: a steady rate then looks steady. */
const ZERO_BASED = new Set(["Throughput"]);

export function chartKeys(lines: Record<string, Line>): [string, string[]][] {
  const keys = Object.keys(lines).sort();
  return CHARTS.map(([title, test]) => [title, keys.filter(test)]);
}

type Action = "cancel" | "resume";
type Dialog = { clone: true } | { kind: JobKind };
const CONNECTION_TEXT: Record<string, string> = { open: "● live", reconnecting: "reconnecting…", closed: "finished" };

/** The final test figures of a finished run (its summary's `test_*`), as the header shows them. */
export function testMetrics(summary: Record<string, unknown> | undefined): [string, string][] {
  const first = (k: string) => ["test_accuracy", "test_loss"].indexOf(k) + 1 || 9;
  return Object.entries(summary ?? {})
    .filter(([k, v]) => k.startsWith("test_") && typeof v === "number")
    .sort(([a], [b]) => first(a) - first(b) || a.localeCompare(b))
    .map(([k, v]) => {
      const name = k.slice("test_".length).replace(/_/g, " ");
      const value = v as number;
      return [`test ${name}`, /acc|f1|precision|recall/.test(name) ? `${(value * 100).toFixed(1)}%` : value.toPrecision(4)];
    });
}

function RunActions({ run, busy, onAct, onDialog }: {
  run: Run | null; busy: boolean; onAct: (a: Action) => void; onDialog: (d: Dialog) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const finished = run ? TERMINAL.includes(run.state) : false;
  if (confirming && !finished)
    return (
      <span className="confirm" role="alertdialog" aria-label="Cancel this run?">
        Cancel this run? It stops after saving a checkpoint.
        <button className="btn btn-danger" disabled={busy} onClick={() => { setConfirming(false); onAct("cancel"); }}>Cancel the run</button>
        <button className="btn btn-ghost" onClick={() => setConfirming(false)}>Keep running</button>
      </span>
    );
  return (
    <>
      {!finished && <button className="btn" disabled={busy} onClick={() => setConfirming(true)}>Cancel</button>}
      <button className="btn" disabled={busy || !run} onClick={() => onDialog({ clone: true })}>Clone</button>
      {/* Offered only when it can work: a stopped run that saved checkpoints/last.pt. */}
      {run?.resumable && <button className="btn" disabled={busy} onClick={() => onAct("resume")}>Resume</button>}
      {run && <JobButtons run={run} busy={busy} onPick={(kind) => onDialog({ kind })} />}
    </>
  );
}

function RunHeader({ id, run, busy, onAct, onDialog }: {
  id: number; run: Run | null; busy: boolean; onAct: (a: Action) => void; onDialog: (d: Dialog) => void;
}) {
  const connection = useRun((s) => s.connection);
  const phase = useRun((s) => phaseText(s.run, s.phase));
  const finals = run?.state === "succeeded" ? testMetrics(run.summary) : [];
  return (
    <>
      <div className="crumbs">
        {run?.project && <Link to={`/projects/${run.project}`}>{run.project_name || `Project ${run.project}`}</Link>}
        {run?.graph && <> / <Link to={`/graphs/${run.graph}`}>{run.graph_name || "Graph"}{run.version ? ` v${run.version}` : ""}</Link></>} / Run #{id}
      </div>
      <div className="page-head">
        <h1>Run #{id} {run?.name ? <span className="muted">{run.name}</span> : null} {run && <span data-testid="run-state"><StateBadge state={run.state} /></span>}</h1>
        <div className="actions">
          <span className={`conn conn-${connection}`}>{CONNECTION_TEXT[connection] ?? ""}</span>
          <RunActions run={run} busy={busy} onAct={onAct} onDialog={onDialog} />
        </div>
      </div>
      <div className="run-status" data-testid="run-phase">
        {phase && <><span className="spinner-dot" /> {phase}</>}
        {finals.length > 0 && (
          <span className="final-metrics" data-testid="final-metrics">
            {finals.map(([name, value]) => <span key={name}><span className="muted">{name}</span> <b>{value}</b></span>)}
          </span>
        )}
      </div>
    </>
  );
}

function RunFacts({ run, lines }: { run: Run | null; lines: Record<string, Line> }) {
  const latest = (key: string) => {
    const l = lines[key];
    return l?.values.length ? l.values[l.values.length - 1] : undefined;
  };
  const loss = latest("train/loss");
  const accuracy = latest("val/accuracy");
  return (
    <div className="facts-row">
      <div><span className="muted">created</span> {formatTime(run?.created)}</div>
      {run?.started && <div><span className="muted">started</span> {formatTime(run.started)}</div>}
      {run?.finished && <div><span className="muted">finished</span> {formatTime(run.finished)}</div>}
      {loss !== undefined && <div><span className="muted">loss</span> {loss.toFixed(4)}</div>}
      {accuracy !== undefined && <div><span className="muted">val accuracy</span> {(accuracy * 100).toFixed(1)}%</div>}
      {run?.queue && (
        <div data-testid="run-resources"><span className="muted">queue</span> {run.queue} × {run.devices ?? 1}
          {(run.nodes ?? 1) > 1 && <> on {run.nodes} nodes</>}</div>
      )}
      {run?.gpus && run.gpus.length > 0 && (
        <div data-testid="run-gpus">
          <span className="muted">ran on</span> {run.worker_hostname} GPU {run.gpus.map((g) => `${g.index} (${g.name})`).join(", ")}
        </div>
      )}
      {run?.kind && run.kind !== "train" && <div><span className="muted">kind</span> {run.kind}</div>}
      {run?.kind === "tune" && <div><Link to={`/sweeps/${run.id}`} data-testid="sweep-link">sweep page: trials, history, importance</Link></div>}
      {run?.parent && <div><span className="muted">parent</span> <Link to={`/runs/${run.parent}`}>run #{run.parent}</Link></div>}
      {(run?.inputs ?? []).map((i, n) => (
        <div key={n}><span className="muted">from</span> {i.run === null ? "a deleted run" : <Link to={`/runs/${i.run}`}>run #{i.run}</Link>} ({i.checkpoint} checkpoint)</div>
      ))}
    </div>
  );
}

const NO_LINES: Record<string, Line> = {};
const NO_LOG: string[] = [];

export function RunPage({ params }: { params: Record<string, string> }) {
  const id = Number(params.id);
  // Until the store follows this run (its effect below), it still holds the page before's: read
  // nothing from it, or this run's panels would mount (and fetch) once early and once again.
  const run = useRun((s) => (s.runId === id ? s.run : null));
  const lines = useRun((s) => (s.runId === id ? s.lines : NO_LINES));
  const log = useRun((s) => (s.runId === id ? s.log : NO_LOG));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [dialog, setDialog] = useState<Dialog | null>(null);

  useEffect(() => {
    runsStore.getState().reset(id);
    runs.get(id).then((r) => runsStore.getState().setRun({ ...r, ...(runsStore.getState().run ?? {}), id: r.id } as typeof r), (e) => setError(e.message));
    // Points from before this page opened: the downsampled series, merged by step with live ones.
    series.read([id], ["train/loss", "train/epoch_loss", "val/loss", "train/accuracy", "val/accuracy", "train/lr"], { points: 1000, x: "step" })
      .then((body) => runsStore.getState().mergePoints(pointsFromSeries(body.runs[0]?.series ?? [])), () => undefined);
  }, [id]);
  useRunEvents(id);

  const ended = run ? TERMINAL.includes(run.state) : false;
  // The end of a run brings its summary, log tail and whether it can be resumed: read the row again.
  useEffect(() => {
    if (ended) runs.get(id).then((r) => runsStore.getState().setRun(r), () => undefined);
  }, [id, ended]);
  // A training run shows every chart in its place from the start (filling in moves nothing); a
  // finished job that measured once (an evaluation) has its figures in Results, not in one-point charts.
  const training = !ended && (run?.kind ?? "train") === "train";
  const groups = useMemo(() => chartKeys(lines).filter(([, keys]) => training || keys.some((k) => lines[k].values.length > 1)),
    [lines, training]);
  const waiting = useRun((s) => phaseText(s.run, s.phase));
  const act = async (what: Action) => {
    setBusy(true);
    setError(null);
    try {
      const r = await runs[what](id);
      if (what === "cancel") runsStore.getState().setRun({ ...runsStore.getState().run!, ...r });
      else navigate(`/runs/${r.id}`);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  if (!run && !error) return <Spinner label="Loading the run" />;
  return (
    <div className="content run-page">
      <RunHeader id={id} run={run} busy={busy} onAct={act} onDialog={setDialog} />
      <ErrorNote message={error} />
      {run?.error && <div className="error-note"><b>The run failed:</b> {run.error}</div>}
      <RunFacts run={run} lines={lines} />
      <div className="charts">
        {groups.map(([title, keys]) => (
          <Chart key={title} title={title} keys={keys} lines={keys.map((k) => lines[k])} testId={`chart-${title.toLowerCase().replace(/\s+/g, "-")}`}
            zeroBased={ZERO_BASED.has(title)} empty={waiting ? `${waiting}…` : "No points recorded"} />
        ))}
      </div>
      {/* Below the charts: results that arrive with the end of a run move no chart. */}
      {run && <RunSummary run={run} />}
      <CompressReport runId={id} />
      <RunInsights runId={id} />
      <DerivedRuns runId={id} />
      <h2>Log</h2>
      <pre className="log" data-testid="log">{[run?.log_tail ?? "", ...log].filter(Boolean).join("\n") || "No log lines yet."}</pre>
      {run && dialog && ("clone" in dialog
        ? <CloneDialog run={run} onClose={() => setDialog(null)} />
        : dialog.kind.kind === "distill" ? <DistillDialog run={run} kind={dialog.kind} onClose={() => setDialog(null)} />
          : <FromRunDialog run={run} kind={dialog.kind} onClose={() => setDialog(null)} />)}
    </div>
  );
}
