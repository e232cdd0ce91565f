/**
 * Launch from the editor: a kind that starts from no run (train, fine-tune, GAN, ...) chosen from
 * the server's kinds, its dialog, plus binding the graph's Input to the dataset where the kind
 * binds it (a GAN's generator takes noise instead).
 */
import { useState } from "react";
import type { Dataset } from "../../api/types";
import { JobDialog, type JobSettings } from "../jobs/JobDialog";
import { useJobKinds } from "../jobs/useJobKinds";

export interface LaunchSettings extends JobSettings {
  dataset: Dataset;
  bindInput: boolean;
  kind: string;
}

export function LaunchDialog({ graphId, projectId, onClose, onLaunch }: {
  graphId: number; projectId: number; onClose: () => void; onLaunch: (s: LaunchSettings) => Promise<void>;
}) {
  const [bindInput, setBindInput] = useState(true);
  const [kind, setKind] = useState("train");
  const startable = (useJobKinds().kinds ?? []).filter((k) => k.inputs.min === 0);
  const binds = startable.find((k) => k.kind === kind)?.binds_input !== false;
  return (
    <JobDialog key={kind}
      kind={kind} projectId={projectId} title="Launch" submitLabel="Launch" rememberAs={`graph-${graphId}`}
      onClose={onClose} onSubmit={(s) => onLaunch({ ...s, dataset: s.dataset!, bindInput: binds && bindInput, kind })}
      datasetExtra={(dataset) => (
        <>
          {startable.length > 1 && (
            <label className="field">
              <span className="field-label">Job</span>
              <select name="kind" value={kind} onChange={(e) => setKind(e.target.value)}>
                {startable.map((k) => <option key={k.kind} value={k.kind} title={k.description}>{k.title}</option>)}
              </select>
            </label>
          )}
          {binds && dataset.input_shape && (
            <label className="field field-check">
              <input type="checkbox" checked={bindInput} onChange={(e) => setBindInput(e.target.checked)} />
              <span className="field-label">Bind the input to this dataset's shape ({dataset.input_shape.join("×")})</span>
            </label>
          )}
        </>
      )}
    />
  );
}
