/**
 * An ensemble of the runs ticked in the runs table: the ensemble kind's form (method, exports),
 * every ticked run a member with the checkpoint chosen; the members' dataset unless another is
 * picked. Shown only when the server offers the kind; enabled for as many runs as it takes.
 */
import { useState } from "react";
import { runs as runsApi } from "../../api/endpoints";
import { navigate } from "../../router";
import { JobDialog } from "./JobDialog";
import { base } from "./RunJobs";
import { useJobKinds } from "./useJobKinds";

export function EnsembleButton({ projectId, runs }: { projectId: number; runs: number[] }) {
  const [open, setOpen] = useState(false);
  const { kinds } = useJobKinds();
  const kind = kinds?.find((k) => k.kind === "ensemble");
  if (!kind) return null;
  const fits = runs.length >= kind.inputs.min && runs.length <= kind.inputs.max;
  const label = runs.map((r) => `#${r}`).join(", ");
  return (
    <>
      <button className="btn" data-testid="ensemble-button" disabled={!fits} onClick={() => setOpen(true)}
        title={fits ? kind.description : `Tick ${kind.inputs.min} to ${kind.inputs.max} finished runs to combine`}>
        Ensemble {runs.length >= kind.inputs.min ? `${runs.length} runs` : ""}
      </button>
      {open && (
        <JobDialog kind="ensemble" projectId={projectId} title={`Ensemble of runs ${label}`} submitLabel="Launch"
          fromRun={{ id: runs[0], datasetName: "the members' dataset" }} onClose={() => setOpen(false)}
          onSubmit={async (s) => {
            const inputs = runs.map((run) => ({ run, checkpoint: s.checkpoint }));
            const made = await runsApi.create({ kind: "ensemble", inputs, dataset: s.datasetRef, ...base(s) });
            navigate(`/runs/${made.id}`);
          }} />
      )}
    </>
  );
}
