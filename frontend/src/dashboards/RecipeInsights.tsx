/**
 * What the recipes add to the run page: an ensemble's members beside the ensemble (each
 * member's test figures and weight, every method's accuracy), and image grids (a GAN's
 * generated samples, an autoencoder's reconstructions beside their inputs), refreshed with
 * the rest of the insights while the run is live.
 */
import { Link } from "../router";
import type { Insights } from "./types";

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

export function EnsembleMembers({ ensemble }: { ensemble: NonNullable<Insights["ensemble"]> }) {
  const d = ensemble.data;
  return (
    <div className="card" data-testid="ensemble-members">
      <h3>Members ({d.method} vote)</h3>
      <table className="table compact">
        <thead><tr><th>run</th><th>graph</th><th className="num">test accuracy</th><th className="num">test F1</th><th className="num">weight</th></tr></thead>
        <tbody>
          {d.members.map((m) => (
            <tr key={m.run}>
              <td><Link to={`/runs/${m.run}`}>#{m.run}</Link></td><td>{m.name}</td>
              <td className="num">{pct(m.test_accuracy)}{m.test_accuracy === d.best_member_test_accuracy ? " (best)" : ""}</td>
              <td className="num">{pct(m.test_f1)}</td><td className="num">{m.weight.toFixed(3)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        Test accuracy by method: {Object.entries(d.methods).map(([m, v]) => `${m} ${pct(v.accuracy)}`).join(" · ")}.
        Weights are fitted on the validation split (the weighted method).
      </p>
    </div>
  );
}

export function ImageGrids({ images }: { images: Insights["images"] }) {
  return (
    <div className="insight-grid">
      {(images ?? []).map((g) => (
        <div className="card" key={g.kind} data-testid={`images-${g.kind}`}>
          <h3>{g.kind === "samples" ? "Generated samples" : "Reconstructions"}</h3>
          <img src={`data:image/png;base64,${g.data.png}`} width={g.data.width} height={g.data.height}
            alt={g.data.caption} style={{ imageRendering: "pixelated", maxWidth: "100%", height: "auto" }} />
          <p className="muted small">{g.data.caption}{g.step !== null ? `, step ${g.step}` : ""}</p>
        </div>
      ))}
    </div>
  );
}
