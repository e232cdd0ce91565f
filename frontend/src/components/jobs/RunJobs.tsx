/**
 * A run's place among jobs: what it produced (its summary), the jobs a person can start from it
 * (one button per registered kind that takes one input run: Evaluate, ...), the jobs that did
 * start from it, and clone — each through the same JobDialog.
 */
import { runs as runsApi } from "../../api/endpoints";
import type { JobKind, Run } from "../../api/types";
import { useQuery } from "@tanstack/react-query";
import { formatBytes, formatTime } from "../../lib/format";
import { Link, navigate } from "../../router";
import { StateBadge } from "../runs/RunList";
import { JobDialog, type JobSettings } from "./JobDialog";
import { fromOneRun, useJobKinds } from "./useJobKinds";

/** "test_accuracy" 0.93 → "93.0%", "checkpoint_bytes" → "12.3 KB", "latency_b1_ms" → "0.42 ms". */
export function formatFigure(key: string, value: unknown): string {
  if (typeof value !== "number") return String(value);
  if (/accuracy|precision|recall|f1|ece/.test(key) && value >= 0 && value <= 1) return `${(value * 100).toFixed(2)}%`;
  if (key.endsWith("_bytes")) return formatBytes(value);
  if (key.endsWith("_ms")) return `${value.toFixed(value < 10 ? 3 : 1)} ms`;
  if (Number.isInteger(value)) return value.toLocaleString("en");
  return value.toPrecision(4);
}

/** What a finished run measured (its `summary`), as a compact table. */
export function RunSummary({ run }: { run: Run }) {
  // The split's metrics first (test_accuracy, ...), then the rest (latency, size) by name.
  const rank = (k: string) => (/^(test|val|train)_/.test(k) ? 0 : 1);
  const entries = Object.entries(run.summary ?? {})
    .filter(([, v]) => typeof v === "number" || typeof v === "boolean")
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  if (!entries.length) return null;
  return (
    <div className="card run-summary" data-testid="run-summary">
      <h3>Results</h3>
      <div className="facts-row">
        {entries.map(([k, v]) => <div key={k}><span className="muted">{k.replace(/_/g, " ")}</span> <b data-testid={`summary-${k}`}>{formatFigure(k, v)}</b></div>)}
      </div>
    </div>
  );
}

/** The buttons of the jobs that start from this run; enabled once it succeeded. */
export function JobButtons({ run, busy, onPick }: { run: Run; busy: boolean; onPick: (kind: JobKind) => void }) {
  const { kinds } = useJobKinds();
  const done = run.state === "succeeded";
  if (!kinds?.find((k) => k.kind === run.kind)?.checkpoints) return null;
  return (
    <>
      {fromOneRun(kinds ?? []).map((k) => (
        <button key={k.kind} className="btn" data-testid={`job-${k.kind}`} disabled={busy || !done}
          title={done ? k.description : `${k.title} needs a run that succeeded`} onClick={() => onPick(k)}>{k.title}</button>
      ))}
    </>
  );
}

/** Runs whose inputs include this one (evaluations, ...), with their headline figures. */
export function DerivedRuns({ runId }: { runId: number }) {
  // Under ["runs", id]: the run page's SSE events refresh it (useRunEvents).
  const { data } = useQuery({ queryKey: ["runs", runId, "derived"], queryFn: () => runsApi.list({ input: runId }) });
  if (!data?.length) return null;
  return (
    <>
      <h2>Jobs from this run</h2>
      <table className="table compact" data-testid="derived-runs">
        <thead><tr><th>run</th><th>kind</th><th>state</th><th>created</th><th>results</th></tr></thead>
        <tbody>
          {data.map((r) => (
            <tr key={r.id}>
              <td><Link to={`/runs/${r.id}`}>#{r.id}{r.name ? ` ${r.name}` : ""}</Link></td><td>{r.kind}</td><td><StateBadge state={r.state} /></td>
              <td className="muted">{formatTime(r.created)}</td>
              <td>{Object.entries(r.summary ?? {}).filter(([, v]) => typeof v === "number").slice(0, 5)
                .map(([k, v]) => `${k.replace(/_/g, " ")} ${formatFigure(k, v)}`).join(" · ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export const base = (s: JobSettings) => ({ config: s.config, devices: s.devices, nodes: s.nodes, queue: s.queue, priority: s.priority, name: s.name, tags: s.tags });

/** Clone: the same kind, graph version and inputs, with every setting open to change. */
export function CloneDialog({ run, onClose }: { run: Run; onClose: () => void }) {
  const inputs = (run.inputs ?? []).filter((i): i is { run: number; checkpoint: "best" | "last" } => i.run !== null);
  return (
    <JobDialog kind={run.kind ?? "train"} projectId={run.project!} title={`Clone run #${run.id}`} submitLabel="Launch"
      initial={{ config: run.config, dataset: run.dataset, devices: run.devices, nodes: run.nodes, queue: run.queue, priority: run.priority, name: run.name, tags: run.tags }}
      onClose={onClose}
      onSubmit={async (s) => {
        const made = await runsApi.create({ graph: run.graph, version: run.version, kind: run.kind ?? "train", dataset: s.datasetRef, inputs, ...base(s) });
        navigate(`/runs/${made.id}`);
      }} />
  );
}

/** A job of `kind` that starts from this run (its checkpoint; its dataset unless another is picked). */
export function FromRunDialog({ run, kind, onClose }: { run: Run; kind: JobKind; onClose: () => void }) {
  const datasetName = String(run.dataset?.kind ?? "its dataset");
  return (
    <JobDialog kind={kind.kind} projectId={run.project!} title={`${kind.title} run #${run.id}`} fromRun={{ id: run.id, datasetName }}
      onClose={onClose}
      onSubmit={async (s) => {
        const made = await runsApi.create({ kind: kind.kind, inputs: [{ run: run.id, checkpoint: s.checkpoint }], dataset: s.datasetRef, ...base(s) });
        navigate(`/runs/${made.id}`);
      }} />
  );
}
