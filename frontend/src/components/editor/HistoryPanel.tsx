/** Versions of the graph: pick two for their structural diff, restore one as a new version. */
import { useState } from "react";
import { graphs } from "../../api/endpoints";
import type { Version, VersionDiff } from "../../api/types";
import { formatTime, paramText } from "../../lib/format";
import { ErrorNote, Spinner } from "../ui/Spinner";

type Edge = VersionDiff["edges_added"][number];

const edgeText = (e: Edge) => `${e.source}.${e.source_port} → ${e.target}.${e.target_port}`;
const pair = (v: unknown[]) => [v[0], v[1]] as const;

export function DiffView({ diff }: { diff: VersionDiff }) {
  const vars = Object.entries(diff.variables_changed);
  const lists = [diff.nodes_added, diff.nodes_removed, diff.nodes_changed, diff.edges_added, diff.edges_removed];
  if (lists.every((l) => !l.length) && !vars.length) return <p className="muted">No structural difference.</p>;
  return (
    <ul className="diff" data-testid="diff">
      {diff.nodes_added.map((n) => <li key={`a${n.id}`} className="diff-add">+ {n.id} <span className="muted">{n.op}</span></li>)}
      {diff.nodes_removed.map((n) => <li key={`r${n.id}`} className="diff-del">− {n.id} <span className="muted">{n.op}</span></li>)}
      {diff.nodes_changed.map((n) => (
        <li key={`c${n.id}`} className="diff-chg">
          ~ {n.id}{" "}
          {Object.entries(n.params ?? {}).map(([k, v]) => {
            const [a, b] = pair(v);
            return <span key={k} className="muted">{k}: {paramText(a) || "default"} → {paramText(b) || "default"} </span>;
          })}
        </li>
      ))}
      {diff.edges_added.map((e) => <li key={`ea${edgeText(e)}`} className="diff-add">+ {edgeText(e)}</li>)}
      {diff.edges_removed.map((e) => <li key={`er${edgeText(e)}`} className="diff-del">− {edgeText(e)}</li>)}
      {vars.map(([k, v]) => <li key={`v${k}`} className="diff-chg">~ variable {k}: {paramText(v[0])} → {paramText(v[1])}</li>)}
    </ul>
  );
}

interface Props {
  graphId: number;
  versions: Version[] | null;
  loading: boolean;
  onRestore: (n: number) => Promise<void>;
}

export function HistoryPanel({ graphId, versions, loading, onRestore }: Props) {
  const [picked, setPicked] = useState<number[]>([]);
  const [diff, setDiff] = useState<VersionDiff | null>(null);
  const [error, setError] = useState<string | null>(null);
  const toggle = async (n: number) => {
    const next = picked.includes(n) ? picked.filter((p) => p !== n) : [...picked, n].slice(-2);
    setPicked(next);
    setDiff(null);
    setError(null);
    if (next.length === 2) {
      const [a, b] = [...next].sort((x, y) => x - y);
      try {
        setDiff(await graphs.diff(graphId, a, b));
      } catch (err) {
        setError(err instanceof Error ? err.message : String(err));
      }
    }
  };
  const restore = async (n: number) => {
    setError(null);
    try {
      await onRestore(n);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <div className="inspector-body" data-testid="history">
      <h3>History</h3>
      <p className="muted">Tick two versions to see what changed between them.</p>
      {loading && <Spinner label="Loading versions" />}
      {versions?.length === 0 && <p className="muted">No versions yet: save to make the first.</p>}
      <ul className="plain-list versions">
        {versions?.map((v) => (
          <li key={v.number}>
            <label>
              <input type="checkbox" checked={picked.includes(v.number)} onChange={() => toggle(v.number)} />
              <b>v{v.number}</b> {v.message || <span className="muted">no message</span>}
              <div className="muted small">{v.author} · {formatTime(v.created)}{v.restored_from ? ` · restored from v${v.restored_from}` : ""}</div>
            </label>
            <button className="btn btn-ghost" onClick={() => restore(v.number)} title="Make this version the newest">Restore</button>
          </li>
        ))}
      </ul>
      <ErrorNote message={error} />
      {diff && (
        <>
          <h4>v{Math.min(...picked)} → v{Math.max(...picked)}</h4>
          <DiffView diff={diff} />
        </>
      )}
    </div>
  );
}
