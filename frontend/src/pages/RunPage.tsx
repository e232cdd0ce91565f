/** A run, live: state, curves (loss, accuracy, learning rate, throughput), log tail, actions. */
import { useEffect, useMemo, useState } from "react";
import { runs } from "../api/endpoints";
import { Link, navigate } from "../router";
import { pointsFromSeries, runsStore, TERMINAL, useRun, type Line } from "../stores/runs";
import { useRunEvents } from "../components/runs/useRunEvents";
import { Chart } from "../components/runs/Chart";
import { StateBadge } from "../components/runs/RunList";
import { ErrorNote, Spinner } from "../components/ui/Spinner";
import { formatTime } from "../lib/format";
import type { JobKind, Run } from "../api/types";
import { CloneDialog, DerivedRuns, FromRunDialog, JobButtons, RunSummary } from "../components/jobs/RunJobs";
import { useJobKinds } from "../components/jobs/useJobKinds";
import { RunInsights } from "../dashboards/RunInsights";

const GROUPS: [string, (name: string) => boolean][] = [
  ["Loss", (n) => n.includes("loss")],
  ["Accuracy", (n) => n.includes("acc")],
  ["Learning rate", (n) => n === "lr" || n.includes("learning_rate")],
  ["Throughput", (n) => n.includes("throughput") || n.includes("per_sec") || n.includes("samples_s")],
];

function groupLines(lines: Record<string, Line>): [string, string[]][] {
  const groups = new Map<string, string[]>(GROUPS.map(([t]) => [t, []]));
  for (const key of Object.keys(lines).sort()) {
    const name = key.split("/").pop()!.toLowerCase();
    const hit = GROUPS.find(([, test]) => test(name));
    if (hit) groups.get(hit[0])!.push(key);
  }
  return [...groups.entries()].filter(([t, keys]) => keys.length || t === "Loss");
}

type Action = "cancel" | "resume";
type Dialog = { clone: true } | { kind: JobKind };
const CONNECTION_TEXT: Record<string, string> = { open: "● live", reconnecting: "reconnecting…", closed: "finished" };

function RunHeader({ id, run, busy, onAct, onDialog }: {
  id: number; run: Run | null; busy: boolean; onAct: (a: Action) => void; onDialog: (d: Dialog) => void;
}) {
  const connection = useRun((s) => s.connection);
  const { kinds } = useJobKinds();
  const finished = run ? TERMINAL.includes(run.state) : false;
  const resumable = kinds?.find((k) => k.kind === run?.kind)?.resumable ?? true;
  return (
    <>
      <div className="crumbs">
        {run?.project && <Link to={`/projects/${run.project}`}>{run.project_name || "Project"}</Link>}
        {run?.graph && <> / <Link to={`/graphs/${run.graph}`}>{run.graph_name || "Graph"}{run.version ? ` v${run.version}` : ""}</Link></>} / Run #{id}
      </div>
      <div className="page-head">
        <h1>Run #{id} {run?.name ? <span className="muted">{run.name}</span> : null} {run && <span data-testid="run-state"><StateBadge state={run.state} /></span>}</h1>
        <div className="actions">
          <span className={`conn conn-${connection}`}>{CONNECTION_TEXT[connection] ?? ""}</span>
          <button className="btn" disabled={busy || finished} onClick={() => onAct("cancel")}>Cancel</button>
          <button className="btn" disabled={busy || !run} onClick={() => onDialog({ clone: true })}>Clone</button>
          {resumable && <button className="btn" disabled={busy || !finished || run?.state === "succeeded"} onClick={() => onAct("resume")}>Resume</button>}
          {run && <JobButtons run={run} busy={busy} onPick={(kind) => onDialog({ kind })} />}
        </div>
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
      {run?.queue && <div><span className="muted">queue</span> {run.queue} × {run.devices ?? 1}</div>}
      {run?.gpus && run.gpus.length > 0 && (
        <div data-testid="run-gpus">
          <span className="muted">ran on</span> {run.worker_hostname} GPU {run.gpus.map((g) => `${g.index} (${g.name})`).join(", ")}
        </div>
      )}
      {run?.kind && run.kind !== "train" && <div><span className="muted">kind</span> {run.kind}</div>}
      {(run?.inputs ?? []).map((i, n) => (
        <div key={n}><span className="muted">from</span> {i.run === null ? "a deleted run" : <Link to={`/runs/${i.run}`}>run #{i.run}</Link>} ({i.checkpoint} checkpoint)</div>
      ))}
    </div>
  );
}

export function RunPage({ params }: { params: Record<string, string> }) {
  const id = Number(params.id);
  const run = useRun((s) => s.run);
  const lines = useRun((s) => s.lines);
  const log = useRun((s) => s.log);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [dialog, setDialog] = useState<Dialog | null>(null);

  useEffect(() => {
    runsStore.getState().reset();
    runs.get(id).then((r) => runsStore.getState().setRun({ ...r, ...(runsStore.getState().run ?? {}), id: r.id } as typeof r), (e) => setError(e.message));
    // Points from before this page opened: the downsampled series, merged by step with live ones.
    runs.series(id, ["train/loss", "val/loss", "train/accuracy", "val/accuracy", "train/lr"])
      .then((body) => runsStore.getState().mergePoints(pointsFromSeries(body)), () => undefined);
  }, [id]);
  useRunEvents(id);

  const ended = run ? TERMINAL.includes(run.state) : false;
  // A finished job that measured once (an evaluation) has its figures in Results, not in one-point charts.
  const groups = useMemo(() => groupLines(lines).filter(([, keys]) => !ended || keys.some((k) => lines[k].values.length > 1)),
    [lines, ended]);
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
      {run && <RunSummary run={run} />}
      <div className="charts">
        {groups.map(([title, keys]) => (
          <Chart key={title} title={title} keys={keys} lines={keys.map((k) => lines[k])} testId={`chart-${title.toLowerCase().replace(/\s+/g, "-")}`} />
        ))}
      </div>
      <RunInsights runId={id} />
      <DerivedRuns runId={id} />
      <h2>Log</h2>
      <pre className="log" data-testid="log">{[run?.log_tail ?? "", ...log].filter(Boolean).join("\n") || "No log lines yet."}</pre>
      {run && dialog && ("clone" in dialog
        ? <CloneDialog run={run} onClose={() => setDialog(null)} />
        : <FromRunDialog run={run} kind={dialog.kind} onClose={() => setDialog(null)} />)}
    </div>
  );
}
