/** The small "tune" button beside a param or a variable: adds it to the sweep's search and opens Tune. */
import type { Dimension } from "./api";
import { tuneDraft, useTuneDraft } from "./tuneDraft";
import "./sweeps.css";

export function TunePick({ dimension }: { dimension: Dimension | undefined }) {
  const picked = useTuneDraft((s) => (dimension ? s.space.some((d) => d.name === dimension.name) : false));
  if (!dimension) return null;
  return (
    <button type="button" className={`tune-pick${picked ? " picked" : ""}`} data-testid={`tune-pick-${dimension.name}`}
      aria-label={`Tune ${dimension.name}`} aria-pressed={picked}
      title={picked ? `${dimension.name} is in the sweep's search: open Tune` : `Search ${dimension.name} in a sweep (Tune)`}
      onClick={(e) => {
        e.preventDefault(); // inside a <label>: do not focus or toggle its field
        tuneDraft.getState().pick(dimension);
      }}>
      tune
    </button>
  );
}
