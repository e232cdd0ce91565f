/** The compare view's tables: hyperparameters that differ, best/last per metric, the architecture diff. */
import { Link } from "../router";
import { formatValue } from "./ParallelCoords";
import { goalArrow, type CompareAnswer, type GraphDiff } from "./types";

function RunHead({ runs, colours }: { runs: CompareAnswer["runs"]; colours: string[] }) {
  return (
    <>
      {runs.map((r, i) => (
        <th key={r.id}><span className="swatch" style={{ background: colours[i] }} /> <Link to={`/runs/${r.id}`}>#{r.id}</Link>{r.name ? ` ${r.name}` : ""}</th>
      ))}
    </>
  );
}

export function HparamTable({ answer, colours }: { answer: CompareAnswer; colours: string[] }) {
  if (!answer.hparams.length)
    return <p className="muted" data-testid="hparams-same">Every hyperparameter is the same in these runs.</p>;
  return (
    <div className="table-scroll">
      <table className="table compact" data-testid="hparam-table">
        <thead><tr><th>hyperparameter</th><RunHead runs={answer.runs} colours={colours} /></tr></thead>
        <tbody>
          {answer.hparams.map((h) => (
            <tr key={h.name}><td><code>{h.name}</code></td>{h.values.map((v, i) => <td key={i}>{formatValue(v)}</td>)}</tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function MetricTable({ answer, colours }: { answer: CompareAnswer; colours: string[] }) {
  return (
    <div className="table-scroll">
      <table className="table compact">
        <thead><tr><th>metric (best / last)</th><RunHead runs={answer.runs} colours={colours} /></tr></thead>
        <tbody>
          {answer.metrics.map((m) => {
            const finite = m.best.filter((v): v is number => v !== null);
            const winner = !finite.length || m.goal === "none" ? null : m.goal === "min" ? Math.min(...finite) : Math.max(...finite);
            return (
              <tr key={m.key}>
                <td><code>{m.key}</code> <span className="muted small">{goalArrow(m.goal)}</span></td>
                {m.best.map((b, i) => (
                  <td key={i} className={b !== null && b === winner && answer.runs.length > 1 ? "winner" : ""}>
                    {formatValue(b)} <span className="muted">/ {formatValue(m.last[i])}</span>
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function DiffList({ diff }: { diff: GraphDiff }) {
  const vars = Object.entries(diff.variables_changed ?? {});
  const empty = !diff.nodes_added.length && !diff.nodes_removed.length && !diff.nodes_changed.length
    && !diff.edges_added.length && !diff.edges_removed.length && !vars.length;
  if (empty) return <p className="muted">Same architecture (only layout or names differ).</p>;
  return (
    <ul className="diff-list">
      {diff.nodes_added.map((n) => <li key={`a-${n.id}`} className="diff-added">+ <code>{n.id}</code> {n.op}</li>)}
      {diff.nodes_removed.map((n) => <li key={`r-${n.id}`} className="diff-removed">− <code>{n.id}</code> {n.op}</li>)}
      {diff.nodes_changed.map((n) => (
        <li key={`c-${n.id}`} className="diff-changed">
          ~ <code>{n.id}</code> {n.op}{" "}
          {Object.entries(n.params ?? {}).map(([p, [a, b]]) => (
            <span key={p} className="diff-param">{p}: {formatValue(a)} → {formatValue(b)}</span>
          ))}
        </li>
      ))}
      {vars.map(([name, [a, b]]) => <li key={`v-${name}`} className="diff-changed">~ variable <code>{name}</code>: {formatValue(a)} → {formatValue(b)}</li>)}
      {(diff.edges_added.length > 0 || diff.edges_removed.length > 0) && (
        <li className="muted">{diff.edges_added.length} connection(s) added, {diff.edges_removed.length} removed</li>
      )}
    </ul>
  );
}

export function ArchitectureDiff({ answer }: { answer: CompareAnswer }) {
  const { versions, base_run } = answer.architecture;
  const base = versions[0];
  if (versions.length === 1)
    return <p className="muted" data-testid="arch-same">All runs trained the same graph version: {base.graph_name} v{base.version}.</p>;
  return (
    <div className="arch-diff" data-testid="arch-diff">
      <p className="muted">Against run #{base_run}'s graph: <b>{base.graph_name} v{base.version}</b></p>
      {versions.slice(1).map((v) => (
        <div key={v.graph_version} className="card arch-card">
          <h3>{v.graph_name} v{v.version} <span className="muted small">runs {v.runs.map((r) => `#${r}`).join(", ")}</span></h3>
          {v.diff ? <DiffList diff={v.diff} /> : <p className="muted">Too many versions to diff them all.</p>}
        </div>
      ))}
    </div>
  );
}
