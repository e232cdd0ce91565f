/**
 * A sweep (/sweeps/<id>): its trials (state, params, value, epoch where pruned, duration) in a
 * virtualised table, the optimisation history, parallel coordinates, parameter importance,
 * intermediate values, the Pareto front for several objectives; Promote and Extend.
 */
import { useMemo, useState } from "react";
import { Link } from "../router";
import { StateBadge } from "../components/runs/RunList";
import { ErrorNote, Spinner } from "../components/ui/Spinner";
import { TERMINAL } from "../stores/runs";
import { useQuery } from "@tanstack/react-query";
import { errorText, queryClient, REFRESH_MS } from "../api/queries";
import { sweeps, type Promoted, type Trial } from "./api";
import { HistoryChart, ImportanceChart, IntermediateChart, ParetoChart } from "./charts";
import { ParallelCanvas } from "./ParallelCanvas";
import { TrialsTable } from "./TrialsTable";
import "../dashboards/dashboards.css";
import "./sweeps.css";

async function loadSweep(id: number) {
  const [run, trials, analysis] = await Promise.all([sweeps.run(id), sweeps.trials(id), sweeps.analysis(id)]);
  return { run, trials, analysis };
}

function Counts({ trials }: { trials: Trial[] }) {
  const count = (s: string) => trials.filter((t) => t.state === s).length;
  return (
    <span className="muted" data-testid="sweep-counts">
      {trials.length} trials · {count("complete")} complete · {count("running")} running · {count("pruned")} pruned · {count("fail")} failed
    </span>
  );
}

function PromotedNote({ promoted }: { promoted: Promoted }) {
  return (
    <p className="notice" data-testid="promoted">
      <span>
        Saved as version {promoted.version} of the graph: <Link to={`/graphs/${promoted.graph}`}>open it in the editor</Link> ·
        trained by <Link to={`/runs/${promoted.run}`}>run #{promoted.run}</Link> ·
        <a href={`/api${promoted.checkpoint.replace(/^\/api/, "")}`}> its best checkpoint</a>
      </span>
    </p>
  );
}

export function SweepPage({ params }: { params: Record<string, string> }) {
  const id = Number(params.id);
  // One cache entry per sweep, asked again while the sweep runs (trials appear as they are asked).
  const { data, error, isLoading: loading } = useQuery({
    queryKey: ["sweeps", id], queryFn: () => loadSweep(id),
    refetchInterval: (q) => (q.state.data && TERMINAL.includes(q.state.data.run.state) ? false : REFRESH_MS),
  });
  const reload = () => queryClient.invalidateQueries({ queryKey: ["sweeps", id] });
  const [promoted, setPromoted] = useState<Promoted | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const names = useMemo(() => data?.analysis.space.map((d) => d.name) ?? [], [data]);
  const coords = useMemo(() => {
    const done = (data?.trials ?? []).filter((t) => t.values);
    return { params: names.map((n) => ({ name: n, values: done.map((t) => t.params[n]) })), values: done.map((t) => t.values![0]) };
  }, [data, names]);
  if (!data) return <div className="content">{loading ? <Spinner label="Loading the sweep" /> : <ErrorNote message={errorText(error)} />}</div>;
  const { run, trials, analysis } = data;
  const best = new Set(analysis.best_trials);
  const act = async (f: () => Promise<unknown>) => {
    setActionError(null);
    try { await f(); } catch (e) { setActionError(e instanceof Error ? e.message : String(e)); }
  };
  const promote = (t: Trial) => act(async () => setPromoted(await sweeps.promote(id, t.number)));
  const bestTrial = trials.find((t) => best.has(t.number) && t.state === "complete");
  return (
    <div className="content sweep-page" data-testid="sweep-page">
      <div className="crumbs">
        <Link to={`/projects/${run.project}`}>{run.project_name || `Project ${run.project}`}</Link>
        {" / "}<Link to={`/graphs/${run.graph}`}>{run.graph_name || "Graph"} v{run.version}</Link> / Sweep #{run.id}
      </div>
      <div className="page-head">
        <h1>{run.name || `Sweep #${run.id}`} <StateBadge state={run.state} /></h1>
        <div className="actions">
          {bestTrial && <button className="btn btn-primary" data-testid="promote-best" onClick={() => promote(bestTrial)}>Promote best (trial {bestTrial.number})</button>}
          {TERMINAL.includes(run.state) && <button className="btn" data-testid="extend" onClick={() => act(async () => { await sweeps.extend(id, 10); reload(); })}>Extend by 10 trials</button>}
        </div>
      </div>
      <p className="sweep-summary"><Counts trials={trials} /> · <Link to={`/runs/${run.id}`}>the sweep's log and config</Link></p>
      <ErrorNote message={actionError ?? (run.error || null)} />
      {promoted && <PromotedNote promoted={promoted} />}
      <div className="sweep-charts">
        <HistoryChart trials={trials} objective={analysis.objectives[0]} />
        <ImportanceChart importance={analysis.importance} />
        <IntermediateChart intermediate={analysis.intermediate} trials={trials} />
        {analysis.objectives.length > 1 && <ParetoChart trials={trials} objectives={analysis.objectives} front={analysis.best_trials} />}
      </div>
      {coords.values.length > 0 && <ParallelCanvas params={coords.params} values={coords.values} metric={analysis.objectives[0].metric}
        goal={analysis.objectives[0].direction === "maximize" ? "max" : "min"} />}
      <TrialsTable trials={trials} params={names} best={best} onPromote={promote} />
    </div>
  );
}
