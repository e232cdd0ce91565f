/**
 * "Tune" beside "Launch": the tune kind's dialog (its config form from the kind's JSON Schema:
 * base training config, sampler, pruner, budget) plus what to search and what to optimise.
 */
import { useMemo, useState } from "react";
import type { Dataset } from "../api/types";
import { JobDialog, type JobSettings } from "../components/jobs/JobDialog";
import { useCatalogue } from "../stores/catalogue";
import { useGraph } from "../stores/graph";
import type { Dimension, Objective } from "./api";
import { candidates, parseChoices } from "./space";
import { useTuneDraft } from "./tuneDraft";
import "./sweeps.css";

export interface TuneSettings extends JobSettings {
  kind: "tune";
  dataset: Dataset;
}

const METRICS = ["val/accuracy", "val/loss", "val/f1", "val/rmse", "val/mae", "test/accuracy", "params", "flops", "latency_ms"];

function num(text: string): number | null {
  const n = Number(text);
  return text.trim() === "" || !Number.isFinite(n) ? null : n;
}

function DimensionRow({ dim, onChange, onRemove }: { dim: Dimension; onChange: (d: Dimension) => void; onRemove: () => void }) {
  const categorical = dim.type === "categorical";
  return (
    <div className="space-row" data-testid={`space-${dim.name}`}>
      <span className="field-label">{dim.name}</span>
      <select aria-label={`${dim.name} type`} value={dim.type} onChange={(e) => onChange({ ...dim, type: e.target.value as Dimension["type"] })}>
        <option value="float">float</option><option value="int">int</option><option value="categorical">choices</option>
      </select>
      {categorical ? (
        <input type="text" aria-label={`${dim.name} choices`} style={{ gridColumn: "span 3" }} defaultValue={(dim.choices ?? []).join(", ")}
          onChange={(e) => onChange({ ...dim, choices: parseChoices(e.target.value) })} />
      ) : (
        <>
          <input type="text" aria-label={`${dim.name} low`} defaultValue={String(dim.low ?? "")} onChange={(e) => onChange({ ...dim, low: num(e.target.value) })} />
          <input type="text" aria-label={`${dim.name} high`} defaultValue={String(dim.high ?? "")} onChange={(e) => onChange({ ...dim, high: num(e.target.value) })} />
          <label className="small"><input type="checkbox" checked={Boolean(dim.log)} onChange={(e) => onChange({ ...dim, log: e.target.checked })} /> log</label>
        </>
      )}
      <span />
      <button type="button" className="btn btn-ghost" aria-label={`Remove ${dim.name}`} onClick={onRemove}>×</button>
    </div>
  );
}

function SpaceEditor({ space, setSpace, objectives, setObjectives }: {
  space: Dimension[]; setSpace: (s: Dimension[]) => void; objectives: Objective[]; setObjectives: (o: Objective[]) => void;
}) {
  const doc = useGraph((s) => s.doc);
  const byOp = useCatalogue((s) => s.byOp);
  const offered = useMemo(() => candidates(doc, byOp), [doc, byOp]);
  const unused = offered.filter((c) => !space.some((d) => d.name === c.name));
  return (
    <fieldset className="field" data-testid="tune-space">
      <span className="field-label">Search over</span>
      {space.map((d, i) => (
        <DimensionRow key={d.name} dim={d} onChange={(n) => setSpace(space.map((x, j) => (j === i ? n : x)))}
          onRemove={() => setSpace(space.filter((_, j) => j !== i))} />
      ))}
      <select aria-label="Add to the search" data-testid="tune-add" value="" onChange={(e) => {
        const c = offered.find((o) => o.name === e.target.value);
        if (c) setSpace([...space, c.dimension]);
      }}>
        <option value="">+ add a variable, node param or training field…</option>
        {unused.map((c) => <option key={c.name} value={c.name}>{c.label}</option>)}
      </select>
      <span className="field-label">Optimise</span>
      {objectives.map((o, i) => (
        <div key={i} className="grid-2">
          <select aria-label={`Objective ${i + 1}`} data-testid={`tune-objective-${i}`} value={o.metric}
            onChange={(e) => setObjectives(objectives.map((x, j) => (j === i ? { ...x, metric: e.target.value } : x)))}>
            {METRICS.map((m) => <option key={m} value={m}>{m}</option>)}
          </select>
          {i > 0 && <button type="button" className="btn btn-ghost" onClick={() => setObjectives(objectives.filter((_, j) => j !== i))}>remove</button>}
        </div>
      ))}
      {objectives.length < 3 && (
        <button type="button" className="btn btn-ghost" onClick={() => setObjectives([...objectives, { metric: "params", direction: "minimize" }])}>
          + another objective (a Pareto front; use the nsga2 sampler)
        </button>
      )}
    </fieldset>
  );
}

export function TuneDialog({ graphId, projectId, onClose, onTune }: {
  graphId: number; projectId: number; onClose: () => void; onTune: (s: TuneSettings) => Promise<void>;
}) {
  // Shared with the inspector's "tune" buttons: what was picked there is listed here.
  const space = useTuneDraft((s) => s.space);
  const setSpace = useTuneDraft((s) => s.setSpace);
  const [objectives, setObjectives] = useState<Objective[]>([{ metric: "val/accuracy", direction: "maximize" }]);
  return (
    <JobDialog
      kind="tune" projectId={projectId} title="Tune: a sweep of training trials" submitLabel="Start sweep" rememberAs={`graph-${graphId}`}
      onClose={onClose}
      onSubmit={(s) => onTune({
        ...s, kind: "tune", dataset: s.dataset!,
        config: { ...s.config, space, objectives: objectives.map((o) => ({ metric: o.metric, direction: "auto" })) },
      })}
      datasetExtra={() => <SpaceEditor space={space} setSpace={setSpace} objectives={objectives} setObjectives={setObjectives} />}
    />
  );
}
