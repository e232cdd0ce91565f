/** Versions of the graph: pick two for their structural diff, restore one as a new version. */
import { useState } from "react";
import { graphs } from "../../api/endpoints";
import type { Version } from "../../api/types";
import { formatTime, paramText } from "../../lib/format";
import { ErrorNote, Spinner } from "../ui/Spinner";

type Diff = Record<string, unknown>;

function list(diff: Diff, key: string): Record<string, unknown>[] {
  const v = diff[key];
  return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
}

const edgeText = (e: Record<string, unknown>) => `${e.source}.${e.source_port} → ${e.target}.${e.target_port}`;

export function DiffView({ diff }: { diff: Diff }) {
  const changed = list(diff, "nodes_changed");
  const vars = (diff.variables_changed ?? {}) as Record<string, [unknown, unknown]>;
  const empty = ["nodes_added", "nodes_removed", "nodes_changed", "edges_added", "edges_removed"].every((k) => !list(diff, k).length) && !Object.keys(vars).length;
  if (empty) return <p className="muted">No structural difference.</p>;
  return (
    <ul className="diff" data-testid="diff">
      {list(diff, "nodes_added").map((n) => <li key={`a${n.id}`} className="diff-add">+ {String(n.id)} <span className="muted">{String(n.op)}</span></li>)}
      {list(diff, "nodes_removed").map((n) => <li key={`r${n.id}`} className="diff-del">− {String(n.id)} <span className="muted">{String(n.op)}</span></li>)}
      {changed.map((n) => (
        <li key={`c${n.id}`} className="diff-chg">
          ~ {String(n.id)}{" "}
          {Object.entries((n.params ?? {}) as Record<string, [unknown, unknown]>).map(([k, [a, b]]) => (
            <span key={k} className="muted">{k}: {paramText(a) || "default"} → {paramText(b) || "default"} </span>
          ))}
        </li>
      ))}
      {list(diff, "edges_added").map((e) => <li key={`ea${edgeText(e)}`} className="diff-add">+ {edgeText(e)}</li>)}
      {list(diff, "edges_removed").map((e) => <li key={`er${edgeText(e)}`} className="diff-del">− {edgeText(e)}</li>)}
      {Object.entries(vars).map(([k, [a, b]]) => <li key={`v${k}`} className="diff-chg">~ variable {k}: {paramText(a)} → {paramText(b)}</li>)}
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
  const [diff, setDiff] = useState<Diff | null>(null);
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
