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

export function RunPage({ params }: { params: Record<string, string> }) {
  const id = Number(params.id);
  const run = useRun((s) => s.run);
  const lines = useRun((s) => s.lines);
  const log = useRun((s) => s.log);
  const connection = useRun((s) => s.connection);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    runsStore.getState().reset();
    runs.get(id).then((r) => runsStore.getState().setRun({ ...r, ...(runsStore.getState().run ?? {}), id: r.id } as typeof r), (e) => setError(e.message));
    // Points from before this page opened: the downsampled series, merged by step with live ones.
    runs.series(id, ["train/loss", "val/loss", "train/accuracy", "val/accuracy", "train/lr"])
      .then((body) => runsStore.getState().mergePoints(pointsFromSeries(body)), () => undefined);
  }, [id]);
  useRunEvents(id);

  const groups = useMemo(() => groupLines(lines), [lines]);
  const act = async (what: "cancel" | "clone" | "resume") => {
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
  const finished = run ? TERMINAL.includes(run.state) : false;
  const latest = (key: string) => {
    const l = lines[key];
    return l?.values.length ? l.values[l.values.length - 1] : undefined;
  };
  return (
    <div className="content run-page">
      <div className="crumbs">
        {run?.project && <Link to={`/projects/${run.project}`}>{run.project_name || "Project"}</Link>}
        {run?.graph && <> / <Link to={`/graphs/${run.graph}`}>{run.graph_name || "Graph"}{run.version ? ` v${run.version}` : ""}</Link></>} / Run #{id}
      </div>
      <div className="page-head">
        <h1>Run #{id} {run?.name ? <span className="muted">{run.name}</span> : null} {run && <span data-testid="run-state"><StateBadge state={run.state} /></span>}</h1>
        <div className="actions">
          <span className={`conn conn-${connection}`}>{connection === "open" ? "● live" : connection === "reconnecting" ? "reconnecting…" : connection === "closed" ? "finished" : ""}</span>
          <button className="btn" disabled={busy || finished} onClick={() => act("cancel")}>Cancel</button>
          <button className="btn" disabled={busy} onClick={() => act("clone")}>Clone</button>
          <button className="btn" disabled={busy || !finished || run?.state === "succeeded"} onClick={() => act("resume")}>Resume</button>
        </div>
      </div>
      <ErrorNote message={error} />
      {run?.error && <div className="error-note"><b>The run failed:</b> {run.error}</div>}
      <div className="facts-row">
        <div><span className="muted">created</span> {formatTime(run?.created)}</div>
        {run?.started && <div><span className="muted">started</span> {formatTime(run.started)}</div>}
        {run?.finished && <div><span className="muted">finished</span> {formatTime(run.finished)}</div>}
        {latest("train/loss") !== undefined && <div><span className="muted">loss</span> {latest("train/loss")!.toFixed(4)}</div>}
        {latest("val/accuracy") !== undefined && <div><span className="muted">val accuracy</span> {(latest("val/accuracy")! * 100).toFixed(1)}%</div>}
        {run?.queue && <div><span className="muted">queue</span> {run.queue} × {run.devices ?? 1}</div>}
      </div>
      <div className="charts">
        {groups.map(([title, keys]) => (
          <Chart key={title} title={title} keys={keys} lines={keys.map((k) => lines[k])} testId={`chart-${title.toLowerCase().replace(/\s+/g, "-")}`} />
        ))}
      </div>
      <RunInsights runId={id} />
      <h2>Log</h2>
      <pre className="log" data-testid="log">{[run?.log_tail ?? "", ...log].filter(Boolean).join("\n") || "No log lines yet."}</pre>
    </div>
  );
}
