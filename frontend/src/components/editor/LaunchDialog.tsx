/** Launch training from the editor: the train kind's dialog, plus binding the graph's Input to the dataset. */
import { useState } from "react";
import type { Dataset } from "../../api/types";
import { JobDialog, type JobSettings } from "../jobs/JobDialog";

export interface LaunchSettings extends JobSettings {
  dataset: Dataset;
  bindInput: boolean;
}

export function LaunchDialog({ graphId, projectId, onClose, onLaunch }: {
  graphId: number; projectId: number; onClose: () => void; onLaunch: (s: LaunchSettings) => Promise<void>;
}) {
  const [bindInput, setBindInput] = useState(true);
  return (
    <JobDialog
      kind="train" projectId={projectId} title="Launch training" submitLabel="Launch" rememberAs={`graph-${graphId}`}
      onClose={onClose} onSubmit={(s) => onLaunch({ ...s, dataset: s.dataset!, bindInput })}
      datasetExtra={(dataset) => dataset.input_shape && (
        <label className="field field-check">
          <input type="checkbox" checked={bindInput} onChange={(e) => setBindInput(e.target.checked)} />
          <span className="field-label">Bind the input to this dataset's shape ({dataset.input_shape.join("×")})</span>
        </label>
      )}
    />
  );
}
