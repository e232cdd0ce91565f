import type { Run } from "../../api/types";
import { Link } from "../../router";
import { formatTime } from "../../lib/format";

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge badge-${state}`}>{state}</span>;
}

export function RunList({ runs }: { runs: Run[] }) {
  if (!runs.length) return <p className="muted">No runs yet. Open a graph and press Launch to train it.</p>;
  return (
    <table className="table">
      <thead>
        <tr><th>Run</th><th>State</th><th>Kind</th><th>Created</th></tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id}>
            <td><Link to={`/runs/${r.id}`}>#{r.id}</Link></td>
            <td><StateBadge state={r.state} /></td>
            <td>{r.kind ?? "train"}</td>
            <td className="muted">{formatTime(r.created)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
